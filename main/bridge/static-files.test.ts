import { describe, expect, it } from 'vitest';
import { contentType, resolveInside } from './static-files';

describe('resolveInside', () => {
  it('keeps paths inside the root', () => {
    expect(resolveInside('/srv/app', '/index.html')).toBe('/srv/app/index.html');
    expect(resolveInside('/srv/app', '/assets/a%20b.js')).toBe('/srv/app/assets/a b.js');
    expect(resolveInside('/srv/app', '/a/../b.js')).toBe('/srv/app/b.js');
  });

  it('refuses escapes, NUL bytes and bad escapes', () => {
    expect(resolveInside('/srv/app', '/../etc/passwd')).toBeUndefined();
    expect(resolveInside('/srv/app', '/..%2f..%2fetc%2fpasswd')).toBeUndefined();
    expect(resolveInside('/srv/app', '/x%00.js')).toBeUndefined();
    expect(resolveInside('/srv/app', '/%E0%A4%A')).toBeUndefined();
    expect(resolveInside('/srv/app', '/..%2f..%2fsrv%2fapp-other%2fx')).toBeUndefined();
  });

  it('names content types', () => {
    expect(contentType('a.JS')).toBe('text/javascript; charset=utf-8');
    expect(contentType('a.unknown')).toBe('application/octet-stream');
  });
});
