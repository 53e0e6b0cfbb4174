// Browser mode end to end: `kubelab serve` as a real process, the built renderer in Chromium.
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import packageJson from '../../package.json';
import { launchChromium } from '../support/chromium';
import { repoRoot, runKubelab, type Running } from '../support/processes';

const shots = join(repoRoot, 'test-results', 'e2e');
let browser: Browser;
const running: Running[] = [];

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  browser = await launchChromium();
});

afterAll(async () => {
  await Promise.all(running.map((r) => r.stop()));
  await browser?.close();
});

async function bridgeState(page: Page, state: string): Promise<void> {
  await page.locator(`[data-bridge-state="${state}"]`).waitFor({ timeout: 20_000 });
}

describe('browser mode', () => {
  it('shows the shell, reports the bridge state across a server restart', async () => {
    const home = await mkdtemp(join(tmpdir(), 'kubelab-e2e-'));
    const first = runKubelab(['serve', '--port', '0'], { KUBELAB_HOME: home });
    running.push(first);
    const [url, port] = await first.waitFor(/http:\/\/127\.0\.0\.1:(\d+)\/\?token=[0-9a-f]{64}/);

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const requests: string[] = [];
    const consoleErrors: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await page.goto(url);

    // The token was traded for a cookie and is gone from the address bar.
    expect(page.url()).toBe(`http://127.0.0.1:${port}/`);
    await expect(page.locator('nav .nav-item').allTextContents()).resolves.toEqual([
      'Lessons',
      'Labs',
      'Quiz',
      'Exam',
    ]);
    await bridgeState(page, 'connected');
    await expect(page.getByTestId('app-version').textContent()).resolves.toBe(
      `Kubelab ${packageJson.version}`,
    );
    // The practice cluster starts behind the server, and the status bar follows it.
    await page.locator('[data-cluster-state="running"]').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('cluster-status').textContent()).resolves.toBe(
      'Cluster running · kubelab-kubelab',
    );
    await page.getByRole('button', { name: 'Labs' }).click();
    await expect(page.locator('h1').textContent()).resolves.toBe('Labs');
    await page.screenshot({ path: join(shots, 'browser-mode-connected.png') });

    await first.stop();
    await bridgeState(page, 'disconnected');
    await page.screenshot({ path: join(shots, 'browser-mode-disconnected.png') });

    const second = runKubelab(['serve', '--port', port!], { KUBELAB_HOME: home });
    running.push(second);
    await second.waitFor(/Open this URL/);
    await bridgeState(page, 'connected');
    await expect(page.getByTestId('app-version').textContent()).resolves.toBe(
      `Kubelab ${packageJson.version}`,
    );
    // The open section survived: it is user state, persisted by the renderer.
    await page.reload();
    await expect(page.locator('h1').textContent()).resolves.toBe('Labs');
    await page.screenshot({ path: join(shots, 'browser-mode-reconnected.png') });

    const external = requests.filter(
      (u) => !u.startsWith(`http://127.0.0.1:${port}/`) && !u.startsWith(`ws://127.0.0.1:${port}/`),
    );
    expect(external).toEqual([]);
    // The only errors allowed are the failed reconnect attempts while the server was down.
    expect(
      consoleErrors.filter((e) => !/ERR_CONNECTION_REFUSED|WebSocket connection/.test(e)),
    ).toEqual([]);
    await page.close();
  });

  it('refuses a page opened without the token', async () => {
    const home = await mkdtemp(join(tmpdir(), 'kubelab-e2e-'));
    const server = runKubelab(['serve', '--port', '0', '--no-cluster'], { KUBELAB_HOME: home });
    running.push(server);
    const [, port] = await server.waitFor(/http:\/\/127\.0\.0\.1:(\d+)\/\?token=/);
    const page = await browser.newPage();
    const response = await page.goto(`http://127.0.0.1:${port}/`);
    expect(response?.status()).toBe(401);
    await expect(page.textContent('body')).resolves.toContain('Kubelab needs its access token');
    await page.close();
    await server.stop();
  });
});
