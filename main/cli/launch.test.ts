import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { decideLaunch, electronBinary, type LaunchDeps } from './launch';

async function electronPackage(withBinary: boolean): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'electron-pkg-'));
  if (withBinary) {
    await writeFile(join(dir, 'path.txt'), 'electron');
    await mkdir(join(dir, 'dist'));
    await writeFile(join(dir, 'dist', 'electron'), '');
  }
  return dir;
}

function deps(overrides: Partial<LaunchDeps>): LaunchDeps {
  return {
    env: { DISPLAY: ':0' },
    platform: 'linux',
    electronPackageDir: undefined,
    installElectron: vi.fn(() => Promise.resolve(undefined)),
    log: () => undefined,
    ...overrides,
  };
}

describe('npm start', () => {
  it('opens the desktop window when the binary is there, without downloading', async () => {
    const dir = await electronPackage(true);
    const installElectron = vi.fn(() => Promise.resolve(undefined));
    const decision = await decideLaunch(deps({ electronPackageDir: dir, installElectron }));
    expect(decision).toEqual({ kind: 'electron', binary: join(dir, 'dist', 'electron') });
    expect(installElectron).not.toHaveBeenCalled();
  });

  it('downloads the binary on first start, then opens the window', async () => {
    const dir = await electronPackage(false);
    const installElectron = vi.fn(async (packageDir: string) => {
      await writeFile(join(packageDir, 'path.txt'), 'electron');
      await mkdir(join(packageDir, 'dist'));
      await writeFile(join(packageDir, 'dist', 'electron'), '');
      return undefined;
    });
    const decision = await decideLaunch(deps({ electronPackageDir: dir, installElectron }));
    expect(installElectron).toHaveBeenCalledWith(dir);
    expect(decision.kind).toBe('electron');
  });

  it('falls back to browser mode, saying why, when the download fails', async () => {
    const dir = await electronPackage(false);
    const decision = await decideLaunch(
      deps({
        electronPackageDir: dir,
        installElectron: () => Promise.resolve('getaddrinfo ENOTFOUND github.com'),
      }),
    );
    expect(decision).toEqual({
      kind: 'browser',
      reason: "Electron's binary could not be downloaded (getaddrinfo ENOTFOUND github.com)",
    });
  });

  it('uses browser mode without a display, without the package, or when asked to', async () => {
    const dir = await electronPackage(true);
    expect(await decideLaunch(deps({ env: {}, electronPackageDir: dir }))).toMatchObject({
      kind: 'browser',
      reason: 'there is no graphical display (DISPLAY is not set)',
    });
    expect(
      await decideLaunch(deps({ env: {}, platform: 'darwin', electronPackageDir: dir })),
    ).toMatchObject({
      kind: 'electron',
    });
    expect(await decideLaunch(deps({}))).toMatchObject({
      kind: 'browser',
      reason: 'the electron package is not installed',
    });
    expect(
      await decideLaunch(
        deps({ env: { DISPLAY: ':0', KUBELAB_MODE: 'browser' }, electronPackageDir: dir }),
      ),
    ).toMatchObject({ kind: 'browser', reason: 'KUBELAB_MODE=browser is set' });
  });

  it('reads the binary location like the electron package does', async () => {
    const dir = await electronPackage(false);
    expect(electronBinary(dir)).toBeUndefined();
    await writeFile(join(dir, 'path.txt'), 'electron');
    expect(electronBinary(dir)).toBeUndefined();
  });
});
