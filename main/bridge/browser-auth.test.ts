import { describe, expect, it } from 'vitest';
import {
  authorize,
  isAllowedHost,
  isAllowedOrigin,
  readCookie,
  sessionCookie,
  tokenMatches,
} from './browser-auth';

const token = 'f'.repeat(64);
const port = 7420;

describe('browser auth', () => {
  it('accepts only loopback Host headers with our port', () => {
    expect(isAllowedHost('127.0.0.1:7420', port)).toBe(true);
    expect(isAllowedHost('LOCALHOST:7420', port)).toBe(true);
    expect(isAllowedHost('[::1]:7420', port)).toBe(true);
    expect(isAllowedHost('127.0.0.1', port)).toBe(false);
    expect(isAllowedHost('127.0.0.1:7421', port)).toBe(false);
    expect(isAllowedHost('kubelab.attacker.example:7420', port)).toBe(false);
    expect(isAllowedHost(undefined, port)).toBe(false);
  });

  it('accepts only our own http origin', () => {
    expect(isAllowedOrigin('http://127.0.0.1:7420', port)).toBe(true);
    expect(isAllowedOrigin('http://localhost:7420', port)).toBe(true);
    expect(isAllowedOrigin('https://127.0.0.1:7420', port)).toBe(false);
    expect(isAllowedOrigin('http://127.0.0.1:7420.evil.example', port)).toBe(false);
    expect(isAllowedOrigin('null', port)).toBe(false);
    expect(isAllowedOrigin(undefined, port)).toBe(false);
  });

  it('compares tokens exactly', () => {
    expect(tokenMatches(token, token)).toBe(true);
    expect(tokenMatches(token.slice(1), token)).toBe(false);
    expect(tokenMatches(`${token}0`, token)).toBe(false);
    expect(tokenMatches('', token)).toBe(false);
    expect(tokenMatches(null, token)).toBe(false);
  });

  it('reads the session cookie among others', () => {
    const header = `theme=dark; kubelab_session=${token}; other=1`;
    expect(readCookie(header, 'kubelab_session')).toBe(token);
    expect(readCookie('kubelab_sessionx=1', 'kubelab_session')).toBeUndefined();
    expect(sessionCookie(token)).toBe(
      `kubelab_session=${token}; HttpOnly; SameSite=Strict; Path=/`,
    );
  });

  it('decides requests: host first, then origin for upgrades, then token or cookie', () => {
    const host = '127.0.0.1:7420';
    const origin = 'http://127.0.0.1:7420';
    const opts = { port, token, upgrade: false };
    expect(authorize({ host, cookie: undefined, url: `/?token=${token}` }, opts)).toEqual({
      allowed: true,
      viaQuery: true,
    });
    expect(authorize({ host, cookie: `kubelab_session=${token}`, url: '/' }, opts)).toEqual({
      allowed: true,
      viaQuery: false,
    });
    expect(authorize({ host, cookie: undefined, url: '/' }, opts)).toMatchObject({
      allowed: false,
      status: 401,
    });
    expect(
      authorize({ host: 'evil:7420', cookie: undefined, url: `/?token=${token}` }, opts),
    ).toMatchObject({ allowed: false, status: 403 });
    const up = { ...opts, upgrade: true };
    expect(
      authorize({ host, origin, cookie: `kubelab_session=${token}`, url: '/bridge' }, up),
    ).toMatchObject({ allowed: true });
    expect(
      authorize(
        {
          host,
          origin: 'https://evil.example',
          cookie: `kubelab_session=${token}`,
          url: '/bridge',
        },
        up,
      ),
    ).toMatchObject({ allowed: false, status: 403 });
  });
});
