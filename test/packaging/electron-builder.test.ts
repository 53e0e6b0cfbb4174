// electron-builder.yml is checked with electron-builder's own schema, offline, so a typo in the
// packaging config fails CI here rather than on a release machine.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config';
import { DebugLogger } from 'builder-util';
import packageJson from '../../package.json';

const root = join(import.meta.dirname, '..', '..');

async function validate(dir: string, file: string): Promise<void> {
  await validateConfiguration(await getConfig(dir, file, null), new DebugLogger(false));
}

describe('electron-builder.yml', () => {
  it('passes electron-builder schema validation', async () => {
    await expect(validate(root, 'electron-builder.yml')).resolves.toBeUndefined();
  });

  it('pins the Electron version that package.json installs and ships labs and content', async () => {
    const config = parse(await readFile(join(root, 'electron-builder.yml'), 'utf8')) as {
      electronVersion: string;
      extraResources: Array<{ from: string; to: string }>;
      linux: { target: string[] };
      mac: { target: string[] };
      win: { target: string[] };
    };
    expect(config.electronVersion).toBe(packageJson.devDependencies.electron);
    expect(config.extraResources.map((r) => r.from)).toEqual(['labs', 'content']);
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.win.target).toEqual(['nsis']);
  });

  it('rejects a config with a typo', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kubelab-eb-'));
    const broken = (await readFile(join(root, 'electron-builder.yml'), 'utf8')).replace(
      'linux:',
      'linnux:',
    );
    await writeFile(join(dir, 'electron-builder.yml'), broken);
    await writeFile(join(dir, 'package.json'), JSON.stringify(packageJson));
    await expect(validate(dir, 'electron-builder.yml')).rejects.toThrow(
      /unknown property 'linnux'/,
    );
  });
});
