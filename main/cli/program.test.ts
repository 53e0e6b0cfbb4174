import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliIo } from './io';
import { runCli } from './program';
import packageJson from '../../package.json';

function capture(env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), env };
  return { io, out: () => out, err: () => err };
}

describe('kubelab CLI', () => {
  it('prints help at the top level and for each command', async () => {
    const top = capture();
    expect((await runCli(['--help'], top.io)).exitCode).toBe(0);
    expect(top.out()).toContain('Usage: kubelab [options] [command]');
    expect(top.out()).toMatch(/serve \[options\]\s+serve the app in browser mode/);
    const sub = capture();
    expect((await runCli(['serve', '--help'], sub.io)).exitCode).toBe(0);
    expect(sub.out()).toContain('Usage: kubelab serve [options]');
    expect(sub.out()).toContain('--port <port>');
    const version = capture();
    expect((await runCli(['version', '--help'], version.io)).exitCode).toBe(0);
    expect(version.out()).toContain('--json');
  });

  it('prints the version from package.json', async () => {
    const plain = capture();
    await runCli(['version'], plain.io);
    expect(plain.out()).toMatch(
      new RegExp(`^kubelab ${packageJson.version.replace(/\./g, '\\.')} \\(node `),
    );
    const json = capture();
    await runCli(['version', '--json'], json.io);
    expect(JSON.parse(json.out())).toMatchObject({ kubelab: packageJson.version });
    const flag = capture();
    expect((await runCli(['--version'], flag.io)).exitCode).toBe(0);
    expect(flag.out().trim()).toBe(packageJson.version);
  });

  it('reports unknown commands and bad options on stderr with a non-zero exit', async () => {
    const unknown = capture();
    expect((await runCli(['bogus'], unknown.io)).exitCode).toBe(1);
    expect(unknown.err()).toContain("error: unknown command 'bogus'");
    expect(unknown.out()).toBe('');
    const badPort = capture();
    expect((await runCli(['serve', '--port', 'eighty'], badPort.io)).exitCode).toBe(1);
    expect(badPort.err()).toContain('invalid port "eighty": expected a number from 0 to 65535');
    const tooBig = capture();
    expect((await runCli(['serve', '--port', '70000'], tooBig.io)).exitCode).toBe(1);
  });

  it('serves browser mode, prints the URL, and keeps the token for the next start', async () => {
    const home = await mkdtemp(join(tmpdir(), 'kubelab-home-'));
    const first = capture({ KUBELAB_HOME: home });
    const stops: Array<() => Promise<void>> = [];
    expect((await runCli(['serve', '--port', '0'], first.io, (s) => stops.push(s))).exitCode).toBe(
      0,
    );
    const url = /http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{64})/.exec(first.out());
    expect(url).not.toBeNull();
    const saved = JSON.parse(await readFile(join(home, 'browser.json'), 'utf8')) as {
      port: number;
      token: string;
    };
    expect(saved).toEqual({ port: Number(url![1]), token: url![2] });
    expect((await stat(join(home, 'browser.json'))).mode & 0o777).toBe(0o600);
    const page = await fetch(url![0], { redirect: 'manual' });
    expect(page.status).toBe(303);
    await Promise.all(stops.splice(0).map((s) => s()));

    // Started again without --port: same port and token, so an open tab reconnects.
    const second = capture({ KUBELAB_HOME: home });
    await runCli(['serve'], second.io, (s) => stops.push(s));
    expect(second.out()).toContain(url![0]);
    await Promise.all(stops.splice(0).map((s) => s()));

    const third = capture({ KUBELAB_HOME: home });
    await runCli(['serve', '--new-token', '--port', '0'], third.io, (s) => stops.push(s));
    expect(third.out()).not.toContain(url![2]);
    await Promise.all(stops.splice(0).map((s) => s()));
  });

  it('refuses an explicit port that is taken, saying what to do', async () => {
    const home = await mkdtemp(join(tmpdir(), 'kubelab-home-'));
    const stops: Array<() => Promise<void>> = [];
    const first = capture({ KUBELAB_HOME: home });
    await runCli(['serve', '--port', '0'], first.io, (s) => stops.push(s));
    const port = /127\.0\.0\.1:(\d+)/.exec(first.out())![1]!;
    const second = capture({ KUBELAB_HOME: await mkdtemp(join(tmpdir(), 'kubelab-home-')) });
    expect((await runCli(['serve', '--port', port], second.io)).exitCode).toBe(1);
    expect(second.err()).toContain(`error: port ${port} is already in use`);
    await Promise.all(stops.map((s) => s()));
  });
});
