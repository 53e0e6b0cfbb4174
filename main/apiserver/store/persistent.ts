/**
 * The store that survives restarts (`kubelab cluster start --data-dir`): the in-memory store,
 * plus a snapshot and an append-only log in one folder, the way etcd keeps its state.
 *
 * Layout of the folder:
 * - `snapshot`: every object at one revision. Written to `snapshot.tmp`, fsync'd, renamed over
 *   the old one and the folder fsync'd, so a crash leaves the old snapshot or the new, whole.
 * - `wal-<revision>.log`: the writes after the snapshot at <revision>, one record per write.
 *
 * Both are sequences of records: a 4-byte length, a 4-byte CRC-32 of the payload (both little
 * endian) and the payload, JSON. A record that is cut short or fails its checksum is a torn write
 * when it is the end of the last log (the power went during an append nobody was told about):
 * replay stops there. Anywhere else it is corruption, and opening fails naming the file and offset
 * rather than silently forgetting acknowledged writes.
 *
 * A write is applied in memory at once (the store is synchronous), then recorded in the log by a
 * background flusher: one append and one fsync for every write made while the previous fsync ran
 * (group commit). `flushed()` resolves once everything applied so far is fsync'd — the HTTP layer
 * awaits it before answering a write, so an acknowledged write survives any crash. When an append
 * or fsync fails, nothing after it can be trusted to be on disk: the store rejects `flushed()`
 * and refuses every further write (fail-stop); a restart recovers what was acknowledged.
 *
 * Every `snapshotEvery` records the flusher writes a new snapshot and starts a new log; the old
 * log is removed only once the new snapshot's rename is durable. Opening replays the snapshot and
 * the log, then does the same (so a torn tail is never appended to, and replay stays short).
 */
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { KubeObject } from '../../kube/objects';
import type { AppendFile, DurableFs } from './durable-fs';
import {
  MemoryStore,
  type NO_CHANGE,
  type ObjectKey,
  type Preconditions,
  type StoreMutation,
} from './store';

/**
 * The points where the crash tests (and `KUBELAB_FAILPOINT`) stop the store, named after what
 * has happened when they fire:
 * - `log:after-append`: a batch is appended to the log, not yet fsync'd;
 * - `log:after-fsync`: the batch is fsync'd, its writes not yet acknowledged;
 * - `snapshot:after-write`: the new snapshot is written and fsync'd as `snapshot.tmp`;
 * - `snapshot:after-rename`: it is renamed over `snapshot`, the folder not yet fsync'd.
 */
export const FAILPOINTS = [
  'log:after-append',
  'log:after-fsync',
  'snapshot:after-write',
  'snapshot:after-rename',
] as const;
export type Failpoint = (typeof FAILPOINTS)[number];

/** What the store needs from its host: its folder and the file system, passed in (rule 5). */
export interface PersistentStoreOptions {
  /** The store's folder (created if missing); nothing else should write in it. */
  readonly dir: string;
  readonly fs: DurableFs;
  /** Watch history length, as for MemoryStore. A restart starts with an empty history. */
  readonly historySize?: number;
  /** Records in the log before it is folded into a new snapshot. */
  readonly snapshotEvery?: number;
  /** Called at each failpoint; a test throws from it to simulate dying right there. */
  readonly failpoint?: (name: Failpoint) => void;
  /** Called once when the store fails and starts refusing writes. */
  readonly onFailure?: (error: StoreUnavailableError) => void;
}

/** The store cannot make writes durable (an append or fsync failed) or is closed: no writes. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** The folder does not read back as the store wrote it: refuse to guess what was lost. */
export class StoreCorruptionError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    reason: string,
  ) {
    super(`corrupt store file ${file} at offset ${offset}: ${reason}`);
    this.name = 'StoreCorruptionError';
  }
}

const SNAPSHOT = 'snapshot';
const SNAPSHOT_FORMAT = 'kubelab-store-snapshot/v1';
const TEMPORARY = '.tmp';
const LOG_NAME = /^wal-(\d{16})\.log$/;
const HEADER_BYTES = 8;
/** Far above any object the API server accepts; a larger length is a damaged header. */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;
const DEFAULT_SNAPSHOT_EVERY = 10_000;
/** How every log payload starts (`{"r":`): lets a damaged header be told from a torn tail. */
const RECORD_START = new TextEncoder().encode('{"r":');

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function logName(revision: number): string {
  return `wal-${String(revision).padStart(16, '0')}.log`;
}

function mapKey(key: ObjectKey): string {
  return `${key.resource}\u0000${key.namespace}\u0000${key.name}`;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** One record: length, CRC-32, payload. Exported so tests can forge logs, torn or not. */
export function encodeRecord(payload: string): Uint8Array {
  const body = encoder.encode(payload);
  const out = new Uint8Array(HEADER_BYTES + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length, true);
  view.setUint32(4, crc32(body), true);
  out.set(body, HEADER_BYTES);
  return out;
}

interface Frame {
  readonly offset: number;
  readonly payload: Uint8Array;
}

interface BadFrame {
  readonly offset: number;
  readonly reason: string;
  /** Whether the damage could be an append cut short: it runs to the end of the file. */
  readonly reachesEnd: boolean;
}

/** Splits a file into records, stopping at the first that does not check out. */
function scanRecords(data: Uint8Array): { frames: Frame[]; bad?: BadFrame } {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const frames: Frame[] = [];
  let offset = 0;
  while (offset < data.length) {
    if (data.length - offset < HEADER_BYTES) {
      return { frames, bad: { offset, reason: 'incomplete record header', reachesEnd: true } };
    }
    const length = view.getUint32(offset, true);
    if (length === 0) {
      // Never written by the store; a zero-filled tail is what some file systems show for an
      // extension whose data never reached the disk.
      const zeros = data.subarray(offset).every((byte) => byte === 0);
      return { frames, bad: { offset, reason: 'zero-length record', reachesEnd: zeros } };
    }
    if (length > MAX_RECORD_BYTES) {
      return {
        frames,
        bad: { offset, reason: `record length ${length} is impossible`, reachesEnd: false },
      };
    }
    const end = offset + HEADER_BYTES + length;
    if (end > data.length) {
      return {
        frames,
        bad: { offset, reason: 'record runs past the end of the file', reachesEnd: true },
      };
    }
    const payload = data.subarray(offset + HEADER_BYTES, end);
    if (crc32(payload) !== view.getUint32(offset + 4, true)) {
      return {
        frames,
        bad: { offset, reason: 'checksum mismatch', reachesEnd: end === data.length },
      };
    }
    frames.push({ offset, payload });
    offset = end;
  }
  return { frames };
}

/** Whether a whole, valid log record starts anywhere after `offset` (then it is no torn tail). */
function validRecordAfter(data: Uint8Array, offset: number): boolean {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let p = offset + 1 + HEADER_BYTES; p + RECORD_START.length <= data.length; p++) {
    if (!RECORD_START.every((byte, i) => data[p + i] === byte)) continue;
    const start = p - HEADER_BYTES;
    const length = view.getUint32(start, true);
    if (length === 0 || p + length > data.length) continue;
    if (crc32(data.subarray(p, p + length)) === view.getUint32(start + 4, true)) return true;
  }
  return false;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parsePayload(payload: Uint8Array, file: string, offset: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(payload));
  } catch (error) {
    throw new StoreCorruptionError(file, offset, `unreadable record: ${(error as Error).message}`);
  }
  if (!isRecord(value)) throw new StoreCorruptionError(file, offset, 'record is not an object');
  return value;
}

function parseKey(value: unknown, file: string, offset: number): ObjectKey {
  if (
    !Array.isArray(value) ||
    value.length !== 3 ||
    !value.every((part): part is string => typeof part === 'string')
  ) {
    throw new StoreCorruptionError(file, offset, 'record has no valid key');
  }
  const [resource, namespace, name] = value as [string, string, string];
  return { resource, namespace, name };
}

function parseObject(value: unknown, file: string, offset: number): KubeObject {
  if (!isRecord(value) || !isRecord(value.metadata)) {
    throw new StoreCorruptionError(file, offset, 'record holds no object');
  }
  return value as unknown as KubeObject;
}

interface StoredObject {
  readonly key: ObjectKey;
  readonly object: KubeObject;
}

interface Snapshot {
  readonly revision: number;
  readonly objects: readonly StoredObject[];
}

function encodeSnapshot(snapshot: Snapshot): Uint8Array {
  const chunks = [
    encodeRecord(
      JSON.stringify({
        format: SNAPSHOT_FORMAT,
        revision: snapshot.revision,
        count: snapshot.objects.length,
      }),
    ),
  ];
  for (const { key, object } of snapshot.objects) {
    chunks.push(
      encodeRecord(JSON.stringify({ k: [key.resource, key.namespace, key.name], o: object })),
    );
  }
  return concat(chunks);
}

function decodeSnapshot(data: Uint8Array, file: string): Snapshot {
  const { frames, bad } = scanRecords(data);
  if (bad) throw new StoreCorruptionError(file, bad.offset, bad.reason);
  const [first, ...rest] = frames;
  if (!first) throw new StoreCorruptionError(file, 0, 'empty snapshot');
  const header = parsePayload(first.payload, file, first.offset);
  const { format, revision, count } = header;
  if (format !== SNAPSHOT_FORMAT) {
    throw new StoreCorruptionError(file, 0, `unknown snapshot format ${JSON.stringify(format)}`);
  }
  if (!Number.isSafeInteger(revision) || (revision as number) < 0 || count !== rest.length) {
    throw new StoreCorruptionError(
      file,
      0,
      `snapshot header does not match its content (${rest.length} objects)`,
    );
  }
  const objects = rest.map((frame) => {
    const record = parsePayload(frame.payload, file, frame.offset);
    return {
      key: parseKey(record.k, file, frame.offset),
      object: parseObject(record.o, file, frame.offset),
    };
  });
  return { revision: revision as number, objects };
}

interface Recovered {
  readonly revision: number;
  readonly objects: Map<string, StoredObject>;
  /** The log to keep appending to, when the folder is already as a checkpoint leaves it. */
  readonly continueLog: string | undefined;
}

/** Reads the snapshot and replays the logs after it. */
async function recover(fs: DurableFs, dir: string): Promise<Recovered> {
  const names = (await fs.readDir(dir)).sort();
  const snapshotFile = join(dir, SNAPSHOT);
  const snapshotData = await fs.readFile(snapshotFile);
  const snapshot = snapshotData
    ? decodeSnapshot(snapshotData, snapshotFile)
    : { revision: 0, objects: [] };
  const objects = new Map<string, StoredObject>();
  for (const stored of snapshot.objects) objects.set(mapKey(stored.key), stored);
  let revision = snapshot.revision;

  const logs = names
    .map((name) => LOG_NAME.exec(name))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ name: match[0], start: Number(match[1]) }))
    .sort((a, b) => a.start - b.start);
  // A log is started only once the snapshot at its start revision is durable, so the newest log
  // that starts at or before the snapshot holds everything after it; older ones are leftovers of
  // a compaction whose cleanup a crash interrupted.
  const base = logs.filter((log) => log.start <= snapshot.revision).at(-1)?.start;
  const replay = base === undefined ? logs : logs.filter((log) => log.start >= base);

  let replayed = 0;
  let torn = false;
  for (const [index, log] of replay.entries()) {
    const file = join(dir, log.name);
    const data = (await fs.readFile(file)) ?? new Uint8Array(0);
    const { frames, bad } = scanRecords(data);
    for (const frame of frames) {
      const record = parsePayload(frame.payload, file, frame.offset);
      const r = record.r;
      if (typeof r !== 'number' || !Number.isSafeInteger(r)) {
        throw new StoreCorruptionError(file, frame.offset, 'record has no revision');
      }
      if (r <= revision) continue;
      if (r !== revision + 1) {
        throw new StoreCorruptionError(
          file,
          frame.offset,
          `expected revision ${revision + 1}, found ${r}: writes are missing`,
        );
      }
      const key = parseKey(record.k, file, frame.offset);
      if (record.op === 'put') {
        const object = parseObject(record.o, file, frame.offset);
        if (object.metadata.resourceVersion !== String(r)) {
          throw new StoreCorruptionError(
            file,
            frame.offset,
            `revision ${r} holds resourceVersion ${JSON.stringify(object.metadata.resourceVersion)}`,
          );
        }
        objects.set(mapKey(key), { key, object });
      } else if (record.op === 'delete') {
        if (!objects.delete(mapKey(key))) {
          throw new StoreCorruptionError(
            file,
            frame.offset,
            `revision ${r} deletes ${key.resource} ${key.namespace}/${key.name}, which does not exist`,
          );
        }
      } else {
        throw new StoreCorruptionError(
          file,
          frame.offset,
          `unknown operation ${String(record.op)}`,
        );
      }
      revision = r;
      replayed++;
    }
    if (bad) {
      const last = index === replay.length - 1;
      if (!last) {
        throw new StoreCorruptionError(
          file,
          bad.offset,
          `${bad.reason} in a log that is not the last`,
        );
      }
      if (!bad.reachesEnd || validRecordAfter(data, bad.offset)) {
        throw new StoreCorruptionError(file, bad.offset, `${bad.reason}, with data after it`);
      }
      torn = true;
    }
  }
  const only = replay.length === 1 ? replay[0] : undefined;
  const clean = only?.start === snapshot.revision && replayed === 0 && !torn;
  return {
    revision,
    objects,
    continueLog: clean ? only!.name : undefined,
  };
}

interface Waiter {
  readonly revision: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** Opens (creating if needed) the store in `options.dir` and recovers its state. */
export function openPersistentStore(options: PersistentStoreOptions): Promise<PersistentStore> {
  return PersistentStore.open(options);
}

/**
 * A MemoryStore that records every write in `dir` (see the top of this file). It is a subclass so
 * the registry, admission and controllers use it unchanged.
 */
export class PersistentStore extends MemoryStore {
  private readonly fs: DurableFs;
  private readonly dir: string;
  private readonly snapshotEvery: number;
  private readonly failpoint: ((name: Failpoint) => void) | undefined;
  private readonly onFailure: ((error: StoreUnavailableError) => void) | undefined;
  private log: AppendFile | undefined;
  private logFile = '';
  private recordsInLog = 0;
  /** Encoded records not yet appended, and the revision of the last one. */
  private unwritten: Uint8Array[] = [];
  private unwrittenUpTo: number;
  /** Every write up to this revision is fsync'd. */
  private durableRevision: number;
  private waiters: Waiter[] = [];
  private flusher: Promise<void> | undefined;
  private failure: StoreUnavailableError | undefined;
  private closing = false;

  private constructor(recovered: Recovered, options: PersistentStoreOptions) {
    super({
      startRevision: recovered.revision,
      ...(options.historySize ? { historySize: options.historySize } : {}),
    });
    this.fs = options.fs;
    this.dir = options.dir;
    this.snapshotEvery = Math.max(1, options.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY);
    this.failpoint = options.failpoint;
    this.onFailure = options.onFailure;
    this.unwrittenUpTo = recovered.revision;
    this.durableRevision = recovered.revision;
    for (const { key, object } of recovered.objects.values()) this.restore(key, object);
    this.onMutation((mutation) => this.recordMutation(mutation));
  }

  /** See openPersistentStore. */
  static async open(options: PersistentStoreOptions): Promise<PersistentStore> {
    const { fs, dir } = options;
    await fs.mkdir(dir);
    const recovered = await recover(fs, dir);
    const store = new PersistentStore(recovered, options);
    if (recovered.continueLog) {
      store.log = await fs.openAppend(join(dir, recovered.continueLog));
      store.logFile = recovered.continueLog;
    } else {
      await store.checkpoint(store.capture());
    }
    // Older logs (all folded into the snapshot now) and temporary files a crash left behind.
    for (const name of await fs.readDir(dir)) {
      const leftover = LOG_NAME.test(name) ? name !== store.logFile : name.endsWith(TEMPORARY);
      if (leftover) await fs.unlink(join(dir, name));
    }
    return store;
  }

  /** Why the store refuses writes, if it does. */
  get failed(): StoreUnavailableError | undefined {
    return this.failure;
  }

  override create(key: ObjectKey, object: KubeObject): KubeObject {
    this.assertWritable();
    return super.create(key, object);
  }

  override guaranteedUpdate(
    key: ObjectKey,
    tryUpdate: (current: KubeObject) => KubeObject | typeof NO_CHANGE,
    preconditions?: Preconditions,
  ): KubeObject {
    this.assertWritable();
    return super.guaranteedUpdate(key, tryUpdate, preconditions);
  }

  override delete(key: ObjectKey, preconditions?: Preconditions): KubeObject {
    this.assertWritable();
    return super.delete(key, preconditions);
  }

  /** Resolves when every write applied so far is fsync'd; rejects if the store failed first. */
  override flushed(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const revision = this.revision;
    if (revision <= this.durableRevision) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ revision, resolve, reject }));
  }

  /**
   * Refuses new writes, waits until every applied write is fsync'd and closes the log. Rejects
   * when the store had failed: some applied writes may then not be on disk.
   */
  async close(): Promise<void> {
    this.closing = true;
    while (this.flusher) await this.flusher;
    const log = this.log;
    this.log = undefined;
    if (this.failure) throw this.failure;
    await log?.close();
  }

  private assertWritable(): void {
    if (this.failure) throw this.failure;
    if (this.closing) throw new StoreUnavailableError(`the store in ${this.dir} is closed`);
  }

  private recordMutation(mutation: StoreMutation): void {
    const key = [mutation.key.resource, mutation.key.namespace, mutation.key.name];
    const payload =
      mutation.op === 'put'
        ? JSON.stringify({ r: mutation.revision, op: 'put', k: key, o: mutation.object })
        : JSON.stringify({ r: mutation.revision, op: 'delete', k: key });
    this.unwritten.push(encodeRecord(payload));
    this.unwrittenUpTo = mutation.revision;
    this.flusher ??= this.flushLoop();
  }

  /** Appends and fsyncs what is pending, batch after batch, until nothing is. */
  private async flushLoop(): Promise<void> {
    try {
      // Every write made during this turn of the event loop joins the first batch.
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.unwritten.length > 0 && !this.failure) {
        const batch = this.unwritten;
        const upTo = this.unwrittenUpTo;
        this.unwritten = [];
        // Taken now, when memory is exactly at `upTo`: the snapshot this batch may complete.
        const snapshot =
          this.recordsInLog + batch.length >= this.snapshotEvery ? this.capture() : undefined;
        if (snapshot && snapshot.revision !== upTo) {
          throw new Error(`snapshot at revision ${snapshot.revision} for a batch up to ${upTo}`);
        }
        const log = this.log;
        if (!log) throw new Error('the log is not open');
        await log.append(concat(batch));
        this.failpoint?.('log:after-append');
        await log.sync();
        this.failpoint?.('log:after-fsync');
        this.recordsInLog += batch.length;
        this.acknowledge(upTo);
        if (snapshot) await this.checkpoint(snapshot);
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.flusher = undefined;
    }
  }

  private acknowledge(revision: number): void {
    this.durableRevision = revision;
    while (this.waiters.length > 0 && this.waiters[0]!.revision <= revision) {
      this.waiters.shift()!.resolve();
    }
  }

  /** Every object now, and the revision: stored objects are frozen, so references suffice. */
  private capture(): Snapshot {
    return { revision: this.revision, objects: [...this.entries()] };
  }

  /**
   * Writes `snapshot` durably and starts a new, empty log after it; then removes the old log.
   * At every step a crash leaves a folder that recovers to the same state.
   */
  private async checkpoint(snapshot: Snapshot): Promise<void> {
    const { fs, dir } = this;
    const temporary = join(dir, `${SNAPSHOT}${TEMPORARY}`);
    await fs.writeFile(temporary, encodeSnapshot(snapshot), { mode: 0o600 });
    this.failpoint?.('snapshot:after-write');
    await fs.rename(temporary, join(dir, SNAPSHOT));
    this.failpoint?.('snapshot:after-rename');
    await fs.syncDir(dir);
    // Made under a temporary name and renamed, so it replaces any torn log of the same name
    // (whose records the snapshot just made durable cannot include anything after it).
    const name = logName(snapshot.revision);
    await fs.writeFile(join(dir, `${name}${TEMPORARY}`), new Uint8Array(0), { mode: 0o600 });
    await fs.rename(join(dir, `${name}${TEMPORARY}`), join(dir, name));
    await fs.syncDir(dir);
    const next = await fs.openAppend(join(dir, name));
    const previous = this.log;
    const previousFile = this.logFile;
    this.log = next;
    this.logFile = name;
    this.recordsInLog = 0;
    if (previous) {
      await previous.close();
      if (previousFile !== name) await fs.unlink(join(dir, previousFile));
    }
  }

  private fail(cause: unknown): void {
    if (this.failure) return;
    const reason = cause instanceof Error ? cause.message : String(cause);
    this.failure = new StoreUnavailableError(
      `the store in ${this.dir} could not make writes durable and refuses all writes until restarted: ${reason}`,
      { cause },
    );
    this.unwritten = [];
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
    const log = this.log;
    this.log = undefined;
    log?.close().catch(() => undefined);
    this.onFailure?.(this.failure);
  }
}
