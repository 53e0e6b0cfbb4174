/**
 * An in-memory `DurableFs` that models what a power cut keeps, for the persistent store's crash
 * tests: a crash at a chosen point (`crash()`), then a restart over what survived, proves the
 * store's ordering of writes, syncs and renames instead of hoping a real crash lands badly.
 *
 * The model, per durable-fs.ts's contract:
 * - a file (an inode) has synced content plus the writes made since its last sync (truncations
 *   and appends, in order); a crash keeps the synced content and loses the rest;
 * - a directory has durable entries plus the changes made since its last `syncDir` (links,
 *   renames, unlinks, in order); a crash keeps the durable entries and loses the rest. A file
 *   whose data was synced but whose name was not is gone after a crash, as on a real disk;
 * - with `crash({ random })`, a crash instead keeps a random prefix of each file's unsynced writes
 *   (the last one possibly torn in the middle) and of each directory's unsynced changes: a disk
 *   that wrote part of its queue, in order, before the power went;
 * - every operation completes on a later macrotask, so writes interleave with it as they would
 *   with a real disk; an operation still waiting when `crash()` is called never happens, and the
 *   handles of the crashed "process" refuse all further use.
 */
import { basename, dirname, resolve } from 'node:path';
import { randomInt, type Random } from '../../base/random';
import type { AppendFile, DurableFs, WriteFileOptions } from './durable-fs';

/** The operations `inject` can fail and `count` counts. */
export type CrashFsOperation =
  | 'readFile'
  | 'readDir'
  | 'openAppend'
  | 'append'
  | 'sync'
  | 'close'
  | 'writeFile'
  | 'rename'
  | 'syncDir'
  | 'unlink'
  | 'mkdir';

type PendingWrite =
  { readonly kind: 'truncate' } | { readonly kind: 'append'; readonly data: Uint8Array };

interface Inode {
  synced: Uint8Array;
  pending: PendingWrite[];
  mode: number;
}

type DirectoryChange =
  | { readonly kind: 'link'; readonly name: string; readonly inode: Inode }
  | { readonly kind: 'unlink'; readonly name: string }
  | { readonly kind: 'rename'; readonly from: string; readonly to: string };

interface Directory {
  durable: Map<string, Inode>;
  current: Map<string, Inode>;
  changes: DirectoryChange[];
  readonly subdirectories: Set<string>;
}

/** How much of what was not durable a crash keeps. */
export interface CrashOptions {
  /**
   * Without: everything not synced is lost. With: each file keeps a random prefix of its unsynced
   * writes (the last one possibly torn) and each directory a random prefix of its unsynced
   * changes.
   */
  readonly random?: Random;
}

/** An error with a Node-style `code`, so callers can tell ENOENT from the rest. */
export class CrashFsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'CrashFsError';
  }
}

function applyWrites(base: Uint8Array, writes: readonly PendingWrite[]): Uint8Array {
  let content = base;
  for (const write of writes) {
    if (write.kind === 'truncate') content = new Uint8Array(0);
    else {
      const next = new Uint8Array(content.length + write.data.length);
      next.set(content);
      next.set(write.data, content.length);
      content = next;
    }
  }
  return content;
}

function applyChange(entries: Map<string, Inode>, change: DirectoryChange): void {
  if (change.kind === 'link') entries.set(change.name, change.inode);
  else if (change.kind === 'unlink') entries.delete(change.name);
  else {
    const inode = entries.get(change.from);
    // A rename of a name the durable state never had (its link was lost) renames nothing.
    if (!inode) return;
    entries.delete(change.from);
    entries.set(change.to, inode);
  }
}

/** The model described at the top of this file. Paths are absolute; renames stay in a folder. */
export class CrashFs implements DurableFs {
  private readonly directories = new Map<string, Directory>();
  private readonly inodes = new Set<Inode>();
  private generation = 0;
  private readonly counts = new Map<CrashFsOperation, number>();

  /**
   * Fault injection: called before each operation takes effect; an error returned is thrown by
   * the operation instead (an EIO from fsync, ENOSPC from an append).
   */
  inject: ((operation: CrashFsOperation, path: string) => Error | undefined) | undefined;

  constructor() {
    this.directories.set(resolve('/'), this.newDirectory());
  }

  /** How many times an operation took effect (tests count fsyncs). */
  count(operation: CrashFsOperation): number {
    return this.counts.get(operation) ?? 0;
  }

  /**
   * The power cut: keeps what was durable (and, with `random`, some of what was not), forgets
   * the rest, and makes every handle and pending operation of the old process fail.
   */
  crash(options: CrashOptions = {}): void {
    const { random } = options;
    this.generation++;
    for (const directory of this.directories.values()) {
      const keep = random ? randomInt(random, directory.changes.length + 1) : 0;
      for (const change of directory.changes.slice(0, keep)) applyChange(directory.durable, change);
      directory.current = new Map(directory.durable);
      directory.changes = [];
    }
    for (const inode of this.inodes) {
      let kept: PendingWrite[] = [];
      if (random && inode.pending.length > 0) {
        kept = inode.pending.slice(0, randomInt(random, inode.pending.length + 1));
        const last = kept[kept.length - 1];
        if (last?.kind === 'append') {
          const torn = randomInt(random, last.data.length + 1);
          kept[kept.length - 1] = { kind: 'append', data: last.data.subarray(0, torn) };
        }
      }
      inode.synced = applyWrites(inode.synced, kept);
      inode.pending = [];
    }
    // Inodes no directory names any more are gone for good.
    const live = new Set<Inode>();
    for (const directory of this.directories.values()) {
      for (const inode of directory.durable.values()) live.add(inode);
    }
    for (const inode of [...this.inodes]) if (!live.has(inode)) this.inodes.delete(inode);
  }

  /** The current content of a file (synced or not), or undefined; synchronous, for tests. */
  peek(path: string): Uint8Array | undefined {
    const inode = this.lookup(path);
    return inode && applyWrites(inode.synced, inode.pending);
  }

  /** Names in a directory now (durable or not); synchronous, for tests. */
  list(path: string): string[] {
    const directory = this.directories.get(resolve(path));
    return directory ? [...directory.current.keys(), ...directory.subdirectories].sort() : [];
  }

  /** Permission bits a file was created with. */
  modeOf(path: string): number | undefined {
    return this.lookup(path)?.mode;
  }

  /**
   * Replaces an existing file's content, durably and at once: tests use it to tear or corrupt
   * files between a crash and a restart.
   */
  overwrite(path: string, data: Uint8Array): void {
    const inode = this.lookup(path);
    if (!inode) throw new CrashFsError('ENOENT', `no such file: ${path}`);
    inode.synced = data.slice();
    inode.pending = [];
  }

  async readFile(path: string): Promise<Uint8Array | undefined> {
    await this.turn('readFile', path);
    return this.peek(path)?.slice();
  }

  async readDir(path: string): Promise<string[]> {
    await this.turn('readDir', path);
    if (!this.directories.has(resolve(path))) {
      throw new CrashFsError('ENOENT', `no such directory: ${path}`);
    }
    return this.list(path);
  }

  async openAppend(path: string): Promise<AppendFile> {
    await this.turn('openAppend', path);
    let inode = this.lookup(path);
    if (!inode) inode = this.link(path, new Uint8Array(0), 0o666);
    const opened = inode;
    const generation = this.generation;
    let closed = false;
    const use = async (operation: CrashFsOperation): Promise<void> => {
      await this.turn(operation, path, generation);
      if (closed) throw new CrashFsError('EBADF', `${operation} on a closed file: ${path}`);
    };
    return {
      append: async (data) => {
        await use('append');
        opened.pending.push({ kind: 'append', data: data.slice() });
      },
      sync: async () => {
        await use('sync');
        opened.synced = applyWrites(opened.synced, opened.pending);
        opened.pending = [];
      },
      close: async () => {
        await use('close');
        closed = true;
      },
    };
  }

  async writeFile(path: string, data: Uint8Array, options: WriteFileOptions = {}): Promise<void> {
    await this.turn('writeFile', path);
    const existing = this.lookup(path);
    if (existing) {
      existing.synced = data.slice();
      existing.pending = [];
    } else {
      this.link(path, data.slice(), options.mode ?? 0o666);
    }
  }

  async rename(from: string, to: string): Promise<void> {
    await this.turn('rename', from);
    const directory = this.directoryOf(from);
    if (this.directoryOf(to) !== directory) {
      throw new CrashFsError('EXDEV', `rename across directories: ${from} -> ${to}`);
    }
    const name = basename(from);
    const target = basename(to);
    const inode = directory.current.get(name);
    if (!inode) throw new CrashFsError('ENOENT', `no such file: ${from}`);
    const change: DirectoryChange = { kind: 'rename', from: name, to: target };
    applyChange(directory.current, change);
    directory.changes.push(change);
  }

  async syncDir(path: string): Promise<void> {
    await this.turn('syncDir', path);
    const directory = this.directories.get(resolve(path));
    if (!directory) throw new CrashFsError('ENOENT', `no such directory: ${path}`);
    for (const change of directory.changes) applyChange(directory.durable, change);
    directory.changes = [];
  }

  async unlink(path: string): Promise<void> {
    await this.turn('unlink', path);
    const directory = this.directoryOf(path);
    const name = basename(path);
    if (!directory.current.has(name)) return;
    const change: DirectoryChange = { kind: 'unlink', name };
    applyChange(directory.current, change);
    directory.changes.push(change);
  }

  async mkdir(path: string): Promise<void> {
    await this.turn('mkdir', path);
    let dir = resolve(path);
    for (;;) {
      if (!this.directories.has(dir)) this.directories.set(dir, this.newDirectory());
      const parent = dirname(dir);
      if (parent === dir) return;
      if (!this.directories.has(parent)) this.directories.set(parent, this.newDirectory());
      this.directories.get(parent)!.subdirectories.add(basename(dir));
      dir = parent;
    }
  }

  private newDirectory(): Directory {
    return { durable: new Map(), current: new Map(), changes: [], subdirectories: new Set() };
  }

  /** Waits for a later macrotask, then checks the process is alive and no fault is injected. */
  private async turn(
    operation: CrashFsOperation,
    path: string,
    generation = this.generation,
  ): Promise<void> {
    await new Promise<void>((done) => setImmediate(done));
    if (generation !== this.generation) {
      throw new CrashFsError('ECRASHED', `${operation} ${path}: the process crashed`);
    }
    const injected = this.inject?.(operation, path);
    if (injected) throw injected;
    this.counts.set(operation, this.count(operation) + 1);
  }

  private directoryOf(path: string): Directory {
    const directory = this.directories.get(dirname(resolve(path)));
    if (!directory) throw new CrashFsError('ENOENT', `no such directory: ${dirname(path)}`);
    return directory;
  }

  private lookup(path: string): Inode | undefined {
    return this.directories.get(dirname(resolve(path)))?.current.get(basename(path));
  }

  private link(path: string, synced: Uint8Array, mode: number): Inode {
    const directory = this.directoryOf(path);
    const inode: Inode = { synced, pending: [], mode };
    this.inodes.add(inode);
    const change: DirectoryChange = { kind: 'link', name: basename(path), inode };
    applyChange(directory.current, change);
    directory.changes.push(change);
    return inode;
  }
}
