import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isAppUrl, serveAppRequest } from './protocol';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kubelab-app-'));
  await mkdir(join(root, 'assets'));
  await writeFile(join(root, 'index.html'), '<!doctype html><title>Kubelab</title>');
  await writeFile(join(root, 'assets', 'app.js'), 'console.log(1)');
});

describe('kubelab:// protocol', () => {
  it('serves the renderer with its content type and the CSP', async () => {
    const page = await serveAppRequest(root, 'kubelab://app/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const script = await serveAppRequest(root, 'kubelab://app/assets/app.js');
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toBe('console.log(1)');
  });

  it('falls back to index.html for routes and 404s for missing files, other hosts and escapes', async () => {
    expect(await (await serveAppRequest(root, 'kubelab://app/labs/x')).text()).toContain('Kubelab');
    expect((await serveAppRequest(root, 'kubelab://app/assets/missing.js')).status).toBe(404);
    expect((await serveAppRequest(root, 'kubelab://other/')).status).toBe(404);
    expect((await serveAppRequest(root, 'kubelab://app/..%2f..%2fetc%2fpasswd')).status).toBe(404);
  });

  it('recognises only our origin', () => {
    expect(isAppUrl('kubelab://app/x')).toBe(true);
    expect(isAppUrl('kubelab://evil/x')).toBe(false);
    expect(isAppUrl('https://app/')).toBe(false);
    expect(isAppUrl('garbage')).toBe(false);
  });
});
