import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../base/random';
import { CrashFs, CrashFsError } from './crash-fs';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array | undefined): string | undefined =>
  data && new TextDecoder().decode(data);

async function fsWithDir(): Promise<CrashFs> {
  const fs = new CrashFs();
  await fs.mkdir('/d');
  return fs;
}

describe('CrashFs', () => {
  it('keeps synced appends and loses the rest in a crash', async () => {
    const fs = await fsWithDir();
    const file = await fs.openAppend('/d/log');
    await fs.syncDir('/d');
    await file.append(bytes('one,'));
    await file.sync();
    await file.append(bytes('two,'));
    expect(text(await fs.readFile('/d/log'))).toBe('one,two,');
    fs.crash();
    expect(text(await fs.readFile('/d/log'))).toBe('one,');
  });

  it('loses a synced file whose name was never synced', async () => {
    const fs = await fsWithDir();
    await fs.writeFile('/d/file', bytes('data'));
    expect(await fs.readDir('/d')).toEqual(['file']);
    fs.crash();
    expect(await fs.readFile('/d/file')).toBeUndefined();
    expect(await fs.readDir('/d')).toEqual([]);
  });

  it('makes a rename durable only with the directory sync, and atomic either way', async () => {
    const fs = await fsWithDir();
    await fs.writeFile('/d/target', bytes('old'));
    await fs.syncDir('/d');
    await fs.writeFile('/d/target.tmp', bytes('new'));
    await fs.rename('/d/target.tmp', '/d/target');
    expect(text(await fs.readFile('/d/target'))).toBe('new');
    fs.crash();
    expect(text(await fs.readFile('/d/target'))).toBe('old');
    expect(await fs.readDir('/d')).toEqual(['target']);

    await fs.writeFile('/d/target.tmp', bytes('new'));
    await fs.rename('/d/target.tmp', '/d/target');
    await fs.syncDir('/d');
    fs.crash();
    expect(text(await fs.readFile('/d/target'))).toBe('new');
    expect(await fs.readDir('/d')).toEqual(['target']);
  });

  it('makes an unlink durable only with the directory sync', async () => {
    const fs = await fsWithDir();
    await fs.writeFile('/d/a', bytes('a'));
    await fs.syncDir('/d');
    await fs.unlink('/d/a');
    await fs.unlink('/d/missing');
    expect(await fs.readFile('/d/a')).toBeUndefined();
    fs.crash();
    expect(text(await fs.readFile('/d/a'))).toBe('a');
    await fs.unlink('/d/a');
    await fs.syncDir('/d');
    fs.crash();
    expect(await fs.readFile('/d/a')).toBeUndefined();
  });

  it('with a random crash keeps an in-order prefix of unsynced writes, sometimes torn', async () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 60; seed++) {
      const fs = await fsWithDir();
      const file = await fs.openAppend('/d/log');
      await fs.syncDir('/d');
      await file.append(bytes('AAAA'));
      await file.sync();
      await file.append(bytes('BBBB'));
      await file.append(bytes('CCCC'));
      fs.crash({ random: seededRandom(seed) });
      const kept = text(await fs.readFile('/d/log'))!;
      expect('AAAABBBBCCCC'.startsWith(kept)).toBe(true);
      expect(kept.startsWith('AAAA')).toBe(true);
      seen.add(kept);
    }
    expect(seen).toContain('AAAA');
    expect(seen).toContain('AAAABBBBCCCC');
    // Torn in the middle of an append:
    expect([...seen].some((kept) => kept.length % 4 !== 0)).toBe(true);
  });

  it('with a random crash keeps an in-order prefix of directory changes', async () => {
    const outcomes = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const fs = await fsWithDir();
      await fs.writeFile('/d/a', bytes('a'));
      await fs.rename('/d/a', '/d/b');
      await fs.unlink('/d/b');
      fs.crash({ random: seededRandom(seed) });
      outcomes.add((await fs.readDir('/d')).join(',') || 'empty');
    }
    // Never an order the changes could not have reached the disk in.
    expect([...outcomes].sort()).toEqual(['a', 'b', 'empty']);
  });

  it('fails the handles and pending operations of the crashed process', async () => {
    const fs = await fsWithDir();
    const file = await fs.openAppend('/d/log');
    const pending = fs.writeFile('/d/other', bytes('x'));
    fs.crash();
    await expect(pending).rejects.toThrow(/ECRASHED/);
    await expect(file.append(bytes('x'))).rejects.toBeInstanceOf(CrashFsError);
    await expect(file.sync()).rejects.toThrow(/the process crashed/);
    expect(await fs.readDir('/d')).toEqual([]);
    // The restarted process works normally.
    const again = await fs.openAppend('/d/log');
    await again.append(bytes('y'));
    expect(text(await fs.readFile('/d/log'))).toBe('y');
  });

  it('injects faults and counts the operations that took effect', async () => {
    const fs = await fsWithDir();
    const file = await fs.openAppend('/d/log');
    fs.inject = (operation, path) => (operation === 'sync' ? new Error(`EIO: ${path}`) : undefined);
    await file.append(bytes('x'));
    await expect(file.sync()).rejects.toThrow('EIO: /d/log');
    fs.inject = undefined;
    await file.sync();
    expect(fs.count('append')).toBe(1);
    expect(fs.count('sync')).toBe(1);
  });

  it('answers like a file system: missing files, missing folders, modes, nested mkdir', async () => {
    const fs = new CrashFs();
    expect(await fs.readFile('/nope/file')).toBeUndefined();
    await expect(fs.readDir('/nope')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(fs.writeFile('/nope/file', bytes('x'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
    await fs.mkdir('/a/b/c');
    await fs.mkdir('/a/b/c');
    expect(await fs.readDir('/a')).toEqual(['b']);
    await fs.writeFile('/a/b/c/key', bytes('secret'), { mode: 0o600 });
    expect(fs.modeOf('/a/b/c/key')).toBe(0o600);
    await expect(fs.rename('/a/b/c/key', '/a/key')).rejects.toMatchObject({ code: 'EXDEV' });
    await expect(fs.rename('/a/b/c/none', '/a/b/c/x')).rejects.toMatchObject({ code: 'ENOENT' });
    const file = await fs.openAppend('/a/b/c/key');
    await file.close();
    await expect(file.append(bytes('x'))).rejects.toMatchObject({ code: 'EBADF' });
  });
});
