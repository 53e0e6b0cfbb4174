// The Node file operations behind the persistent store. A real power cut cannot be staged in a
// test: the crash tests run the store over crash-fs.ts, these check the operations themselves.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeDurableFs as fs } from './durable-fs';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubelab-durable-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('nodeDurableFs', () => {
  it('appends across handles, syncs and closes', async () => {
    const file = join(dir, 'log');
    const first = await fs.openAppend(file);
    await first.append(bytes('one,'));
    await first.sync();
    await first.close();
    const second = await fs.openAppend(file);
    const big = new Uint8Array(300_000).fill(0x41);
    await second.append(big);
    await second.sync();
    await second.close();
    const content = await readFile(file);
    expect(content.length).toBe(4 + big.length);
    expect(content.subarray(0, 4).toString()).toBe('one,');
    if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('writes a file whole with the mode asked for, replacing what was there', async () => {
    const file = join(dir, 'key');
    await writeFile(file, 'a much longer old content');
    await fs.writeFile(file, bytes('new'), { mode: 0o600 });
    expect(await readFile(file, 'utf8')).toBe('new');
    await fs.writeFile(join(dir, 'fresh'), bytes('x'), { mode: 0o600 });
    if (process.platform !== 'win32') {
      expect((await stat(join(dir, 'fresh'))).mode & 0o777).toBe(0o600);
    }
  });

  it('reads files (undefined when missing) and lists folders', async () => {
    expect(await fs.readFile(join(dir, 'missing'))).toBeUndefined();
    await fs.writeFile(join(dir, 'a'), bytes('A'));
    expect(Buffer.from((await fs.readFile(join(dir, 'a')))!).toString()).toBe('A');
    expect(await fs.readDir(dir)).toEqual(['a']);
    await expect(fs.readDir(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('renames over a target, syncs the folder, and unlinks (missing files too)', async () => {
    await fs.writeFile(join(dir, 'target'), bytes('old'));
    await fs.writeFile(join(dir, 'target.tmp'), bytes('new'));
    await fs.rename(join(dir, 'target.tmp'), join(dir, 'target'));
    await fs.syncDir(dir);
    expect(await readFile(join(dir, 'target'), 'utf8')).toBe('new');
    expect((await fs.readDir(dir)).sort()).toEqual(['target']);
    await fs.unlink(join(dir, 'target'));
    await fs.unlink(join(dir, 'target'));
    expect(await fs.readDir(dir)).toEqual([]);
  });

  it('creates nested folders, private, and accepts existing ones', async () => {
    const nested = join(dir, 'a', 'b', 'c');
    await fs.mkdir(nested);
    await fs.mkdir(nested);
    expect((await stat(nested)).isDirectory()).toBe(true);
    if (process.platform !== 'win32') expect((await stat(nested)).mode & 0o777).toBe(0o700);
  });
});
