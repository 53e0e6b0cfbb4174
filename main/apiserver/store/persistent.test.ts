import { describe, expect, it } from 'vitest';
import { randomInt, seededRandom, type Random } from '../../base/random';
import type { KubeObject } from '../../kube/objects';
import { runStoreConformance } from './conformance';
import { CrashFs, type CrashOptions } from './crash-fs';
import {
  FAILPOINTS,
  encodeRecord,
  openPersistentStore,
  StoreCorruptionError,
  StoreUnavailableError,
  type Failpoint,
  type PersistentStore,
  type PersistentStoreOptions,
} from './persistent';
import type { MemoryStore, ObjectKey } from './store';

const DIR = '/data/store';

const filesystems = new WeakMap<MemoryStore, CrashFs>();

function open(
  fs: CrashFs,
  options: Partial<PersistentStoreOptions> = {},
): Promise<PersistentStore> {
  return openPersistentStore({ dir: DIR, fs, ...options });
}

runStoreConformance('persistent', {
  async create() {
    const fs = new CrashFs();
    const store = await open(fs, { historySize: 3 });
    filesystems.set(store, fs);
    return store;
  },
  async reopen(store) {
    const fs = filesystems.get(store)!;
    await (store as PersistentStore).close();
    const restarted = await open(fs, { historySize: 3 });
    filesystems.set(restarted, fs);
    return restarted;
  },
});

function key(name: string, namespace = 'ns', resource = '/configmaps'): ObjectKey {
  return { resource, namespace, name };
}

function configMap(name: string, data: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'ns', uid: `uid-${name}` },
    data,
  };
}

/** Every object of a store, by bucket and key. */
function contents(store: MemoryStore): Map<string, KubeObject> {
  const out = new Map<string, KubeObject>();
  for (const { key: k, object } of store.entries()) {
    out.set(`${k.resource}|${k.namespace}|${k.name}`, object);
  }
  return out;
}

function logFile(fs: CrashFs): string {
  const name = fs.list(DIR).find((n) => n.startsWith('wal-'));
  if (!name) throw new Error(`no log in ${fs.list(DIR).join(', ')}`);
  return `${DIR}/${name}`;
}

/** Damages one byte. */
function flip(data: Uint8Array, offset: number): void {
  data[offset] = data[offset]! ^ 0xff;
}

/** Offsets of the records of a log. */
function recordOffsets(data: Uint8Array): number[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const offsets: number[] = [];
  for (let offset = 0; offset < data.length; offset += 8 + view.getUint32(offset, true)) {
    offsets.push(offset);
  }
  return offsets;
}

/** A store whose log holds `count` acknowledged creates (a crash, so no compaction folds them). */
async function storeWithLog(count: number): Promise<{ fs: CrashFs; objects: KubeObject[] }> {
  const fs = new CrashFs();
  const store = await open(fs);
  const objects: KubeObject[] = [];
  for (let i = 0; i < count; i++) {
    objects.push(store.create(key(`cm${i}`), configMap(`cm${i}`, { i: String(i) })));
    await store.flushed();
  }
  fs.crash();
  return { fs, objects };
}

describe('PersistentStore: restarts', () => {
  it('keeps objects, revisions and uids across a clean restart, stored frozen', async () => {
    const fs = new CrashFs();
    const store = await open(fs);
    const a = store.create(key('a'), configMap('a', { x: '1' }));
    const b = store.create(key('b'), configMap('b'));
    const node = store.create(key('n', '', '/nodes'), { metadata: { name: 'n', uid: 'node-uid' } });
    const a2 = store.guaranteedUpdate(key('a'), (c) => ({ ...c, data: { x: '2' } }));
    store.delete(key('b'));
    const revision = store.revision;
    await store.close();

    const restarted = await open(fs);
    expect(restarted.revision).toBe(revision);
    expect(contents(restarted)).toEqual(
      new Map([
        ['/configmaps|ns|a', a2],
        ['/nodes||n', node],
      ]),
    );
    expect(restarted.get(key('a'))?.metadata.resourceVersion).toBe(String(revision - 1));
    expect(restarted.get(key('a'))?.metadata.uid).toBe('uid-a');
    expect(Object.isFrozen(restarted.get(key('a'))!.data)).toBe(true);
    expect(a.metadata.resourceVersion).toBe('1');
    expect(b.metadata.resourceVersion).toBe('2');
    const next = restarted.create(key('c'), configMap('c'));
    expect(next.metadata.resourceVersion).toBe(String(revision + 1));
  });

  it('keeps every acknowledged write across a crash without close', async () => {
    const { fs, objects } = await storeWithLog(5);
    const restarted = await open(fs);
    expect(restarted.revision).toBe(5);
    expect(restarted.list('/configmaps').items).toEqual(objects);
  });

  it('a watch from before the restart answers Expired; from the current revision it works', async () => {
    const { fs } = await storeWithLog(3);
    const restarted = await open(fs);
    expect(() =>
      restarted.watch({ resource: '/configmaps', sinceRevision: 2 }, () => true),
    ).toThrow(expect.objectContaining({ code: 'Expired' }));
    expect(() =>
      restarted.watch({ resource: '/configmaps', sinceRevision: 3 }, () => true),
    ).not.toThrow();
  });

  it('opening folds the log into a new snapshot and removes the old log', async () => {
    const { fs } = await storeWithLog(4);
    const before = fs.list(DIR);
    expect(before).toEqual(['snapshot', 'wal-0000000000000000.log']);
    const restarted = await open(fs);
    expect(fs.list(DIR)).toEqual(['snapshot', 'wal-0000000000000004.log']);
    expect(fs.peek(logFile(fs))).toHaveLength(0);
    // A clean reopen with nothing to replay keeps appending to the same log.
    await restarted.close();
    await open(fs);
    expect(fs.list(DIR)).toEqual(['snapshot', 'wal-0000000000000004.log']);
  });

  it('compacts every snapshotEvery records: new snapshot, new log, old log gone', async () => {
    const fs = new CrashFs();
    const store = await open(fs, { snapshotEvery: 5 });
    for (let i = 0; i < 12; i++) {
      store.create(key(`cm${i}`), configMap(`cm${i}`));
      await store.flushed();
    }
    // Records 1-5 and 6-10 were folded into snapshots; 11 and 12 are in the log after rev 10.
    await store.close();
    expect(fs.list(DIR)).toEqual(['snapshot', 'wal-0000000000000010.log']);
    expect(recordOffsets(fs.peek(logFile(fs))!)).toHaveLength(2);
    fs.crash();
    const restarted = await open(fs);
    expect(restarted.count('/configmaps')).toBe(12);
    expect(restarted.revision).toBe(12);
  });

  it('group commit: one fsync covers every write of the same tick', async () => {
    const fs = new CrashFs();
    const store = await open(fs);
    const syncs = fs.count('sync');
    for (let i = 0; i < 50; i++) store.create(key(`cm${i}`), configMap(`cm${i}`));
    await store.flushed();
    expect(fs.count('sync')).toBe(syncs + 1);
    expect(fs.count('append')).toBe(1);
  });

  it("flushed() resolves only once the write is fsync'd, and at once when nothing is pending", async () => {
    const fs = new CrashFs();
    const store = await open(fs);
    await expect(store.flushed()).resolves.toBeUndefined();
    const syncs = fs.count('sync');
    store.create(key('a'), configMap('a'));
    let done = false;
    const flushed = store.flushed().then(() => {
      done = true;
      return fs.count('sync');
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    expect(await flushed).toBe(syncs + 1);
  });

  it('close() refuses further writes and leaves a folder that reopens', async () => {
    const fs = new CrashFs();
    const store = await open(fs);
    store.create(key('a'), configMap('a'));
    await store.close();
    expect(() => store.create(key('b'), configMap('b'))).toThrow(StoreUnavailableError);
    expect(() => store.create(key('b'), configMap('b'))).toThrow(/is closed/);
    fs.crash();
    expect((await open(fs)).count('/configmaps')).toBe(1);
  });
});

describe('PersistentStore: fail-stop', () => {
  for (const operation of ['sync', 'append'] as const) {
    it(`a failed ${operation} rejects flushed(), refuses writes, and acknowledged writes survive`, async () => {
      const fs = new CrashFs();
      const failures: Error[] = [];
      const store = await open(fs, { onFailure: (error) => failures.push(error) });
      const kept = store.create(key('kept'), configMap('kept'));
      await store.flushed();
      fs.inject = (op) =>
        op === operation ? new Error(`EIO: i/o error, ${operation} (injected)`) : undefined;
      store.create(key('lost'), configMap('lost'));
      await expect(store.flushed()).rejects.toThrow(
        /could not make writes durable and refuses all writes until restarted: EIO/,
      );
      await expect(store.flushed()).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(() => store.create(key('after'), configMap('after'))).toThrow(StoreUnavailableError);
      expect(() => store.guaranteedUpdate(key('kept'), (c) => c)).toThrow(StoreUnavailableError);
      expect(() => store.delete(key('kept'))).toThrow(StoreUnavailableError);
      expect(failures).toHaveLength(1);
      expect(store.failed).toBe(failures[0]);
      await expect(store.close()).rejects.toBeInstanceOf(StoreUnavailableError);

      fs.inject = undefined;
      fs.crash();
      const restarted = await open(fs);
      expect(restarted.get(key('kept'))).toEqual(kept);
      expect(restarted.get(key('lost'))).toBeUndefined();
      expect(restarted.revision).toBe(1);
    });
  }

  it('a failed snapshot during compaction fails the store too', async () => {
    const fs = new CrashFs();
    const store = await open(fs, { snapshotEvery: 2 });
    fs.inject = (op, path) => (op === 'writeFile' ? new Error(`ENOSPC: ${path}`) : undefined);
    store.create(key('a'), configMap('a'));
    store.create(key('b'), configMap('b'));
    // The batch itself is fsync'd and acknowledged before the snapshot is attempted.
    await store.flushed();
    await expect(store.close()).rejects.toThrow(/ENOSPC/);
    fs.inject = undefined;
    fs.crash();
    expect((await open(fs)).count('/configmaps')).toBe(2);
  });
});

describe('PersistentStore: torn and corrupt files', () => {
  async function tearAfter(count: number, tail: (next: Uint8Array) => Uint8Array): Promise<void> {
    const { fs, objects } = await storeWithLog(count);
    const file = logFile(fs);
    const good = fs.peek(file)!;
    const next = encodeRecord(
      JSON.stringify({
        r: count + 1,
        op: 'put',
        k: ['/configmaps', 'ns', 'torn'],
        o: { ...configMap('torn'), metadata: { name: 'torn', resourceVersion: String(count + 1) } },
      }),
    );
    const torn = tail(next);
    const data = new Uint8Array(good.length + torn.length);
    data.set(good);
    data.set(torn, good.length);
    fs.overwrite(file, data);

    const restarted = await open(fs);
    expect(restarted.revision).toBe(count);
    expect(restarted.list('/configmaps').items).toEqual(objects);
    // The torn bytes are never appended to: later writes survive the next restart.
    const later = restarted.create(key('later'), configMap('later'));
    await restarted.flushed();
    fs.crash();
    const again = await open(fs);
    expect(again.get(key('later'))).toEqual(later);
    expect(again.revision).toBe(count + 1);
  }

  it('tolerates a record cut short at the end of the log', async () => {
    await tearAfter(3, (next) => next.subarray(0, next.length - 7));
  });

  it('tolerates a header cut short at the end of the log', async () => {
    await tearAfter(3, (next) => next.subarray(0, 5));
  });

  it('tolerates a last record whose checksum fails (a torn sector)', async () => {
    await tearAfter(2, (next) => {
      const copy = next.slice();
      flip(copy, copy.length - 2);
      return copy;
    });
  });

  it('tolerates a zero-filled tail', async () => {
    await tearAfter(2, () => new Uint8Array(4096));
  });

  it('refuses a checksum failure before the end of the log, naming the file and offset', async () => {
    const { fs } = await storeWithLog(4);
    const file = logFile(fs);
    const data = fs.peek(file)!.slice();
    const offsets = recordOffsets(data);
    flip(data, offsets[1]! + 20);
    fs.overwrite(file, data);
    const error = await open(fs).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreCorruptionError);
    expect(error).toMatchObject({ file, offset: offsets[1] });
    expect((error as Error).message).toBe(
      `corrupt store file ${file} at offset ${offsets[1]}: checksum mismatch, with data after it`,
    );
  });

  it('refuses a damaged length that runs past the end when whole records follow it', async () => {
    const { fs } = await storeWithLog(4);
    const file = logFile(fs);
    const data = fs.peek(file)!.slice();
    const offsets = recordOffsets(data);
    new DataView(data.buffer).setUint32(offsets[2]!, 1_000_000, true);
    fs.overwrite(file, data);
    await expect(open(fs)).rejects.toThrow(
      `corrupt store file ${file} at offset ${offsets[2]}: record runs past the end of the file, with data after it`,
    );
  });

  it('refuses a torn record in a log that another log follows', async () => {
    const { fs } = await storeWithLog(3);
    const file = logFile(fs);
    const good = fs.peek(file)!;
    fs.overwrite(file, new Uint8Array([...good, 200, 0, 0, 0, 1, 2, 3, 4, 5]));
    const record = {
      r: 4,
      op: 'put',
      k: ['/configmaps', 'ns', 'x'],
      o: { metadata: { name: 'x', resourceVersion: '4' } },
    };
    await fs.writeFile(`${DIR}/wal-0000000000000003.log`, encodeRecord(JSON.stringify(record)));
    await fs.syncDir(DIR);
    await expect(open(fs)).rejects.toThrow(
      `corrupt store file ${file} at offset ${good.length}: record runs past the end of the file in a log that is not the last`,
    );
  });

  it('refuses a log with a missing record (a gap in revisions)', async () => {
    const { fs } = await storeWithLog(4);
    const file = logFile(fs);
    const data = fs.peek(file)!;
    const offsets = recordOffsets(data);
    const without = new Uint8Array([...data.subarray(0, offsets[1]), ...data.subarray(offsets[2])]);
    fs.overwrite(file, without);
    await expect(open(fs)).rejects.toThrow(
      `corrupt store file ${file} at offset ${offsets[1]}: expected revision 2, found 3: writes are missing`,
    );
  });

  it('refuses a damaged snapshot', async () => {
    const fs = new CrashFs();
    const store = await open(fs);
    store.create(key('a'), configMap('a'));
    await store.close();
    await (await open(fs)).close(); // folds the write into the snapshot
    const file = `${DIR}/snapshot`;
    const data = fs.peek(file)!.slice();
    flip(data, data.length - 3);
    fs.overwrite(file, data);
    await expect(open(fs)).rejects.toThrow(`corrupt store file ${file} at offset`);
  });
});

// ---------------------------------------------------------------------------------------------
// Crash tests: a seeded workload of creates, updates and deletes, killed at the k-th hit of a
// failpoint (or by a power cut at a random moment), then restarted over what the disk kept.

interface Applied {
  readonly revision: number;
  readonly key: string;
  /** The object after the write; undefined for a delete. */
  readonly object: KubeObject | undefined;
}

interface WorkloadResult {
  readonly applied: readonly Applied[];
  /** Highest revision whose flushed() resolved. */
  readonly acknowledged: number;
}

const NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];

async function workload(
  store: PersistentStore,
  random: Random,
  steps: number,
  powerCut?: { at: number; cut: () => void },
): Promise<WorkloadResult> {
  const applied: Applied[] = [];
  let acknowledged = 0;
  for (let step = 0; step < steps; step++) {
    if (step === powerCut?.at) {
      powerCut.cut();
      break;
    }
    // 1-4 writes in the same tick, so batches of several records are common.
    const burst = 1 + randomInt(random, 4);
    try {
      for (let i = 0; i < burst; i++) {
        const name = NAMES[randomInt(random, NAMES.length)]!;
        const namespace = randomInt(random, 2) === 0 ? 'one' : 'two';
        const k = key(name, namespace);
        const existing = store.get(k);
        let object: KubeObject | undefined;
        if (!existing) {
          object = store.create(k, {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name, namespace, uid: `uid-${step}-${i}` },
            data: { step: String(step) },
          });
        } else if (randomInt(random, 4) === 0) {
          store.delete(k);
        } else {
          object = store.guaranteedUpdate(k, (current) => ({
            ...current,
            data: { step: String(step), payload: 'x'.repeat(randomInt(random, 200)) },
          }));
        }
        const revision = store.revision;
        applied.push({ revision, key: `/configmaps|${namespace}|${name}`, object });
        // What the HTTP layer does for every write: answer once flushed() resolves.
        store.flushed().then(
          () => (acknowledged = Math.max(acknowledged, revision)),
          () => undefined,
        );
      }
    } catch (error) {
      if (error instanceof StoreUnavailableError) break; // the store died at its failpoint
      throw error;
    }
    if (randomInt(random, 3) === 0) await store.flushed().catch(() => undefined);
    else await new Promise((resolve) => setImmediate(resolve));
  }
  // Let acknowledgements already granted run their callbacks.
  await Promise.resolve();
  return { applied, acknowledged };
}

/** The state after the writes up to `revision`. */
function stateAt(applied: readonly Applied[], revision: number): Map<string, KubeObject> {
  const state = new Map<string, KubeObject>();
  for (const write of applied) {
    if (write.revision > revision) break;
    if (write.object) state.set(write.key, write.object);
    else state.delete(write.key);
  }
  return state;
}

async function checkRecovery(fs: CrashFs, result: WorkloadResult): Promise<number> {
  const restarted = await open(fs);
  const revision = restarted.revision;
  const last = result.applied.at(-1)?.revision ?? 0;
  // Every acknowledged write is there; nothing that was never written is.
  expect(revision).toBeGreaterThanOrEqual(result.acknowledged);
  expect(revision).toBeLessThanOrEqual(last);
  // Exactly the state after a prefix of the writes: not partial, not reordered.
  expect(contents(restarted)).toEqual(stateAt(result.applied, revision));
  // And it carries on: the next write takes the next revision and survives another crash.
  const next = restarted.create(key('after-crash'), configMap('after-crash'));
  expect(next.metadata.resourceVersion).toBe(String(revision + 1));
  await restarted.flushed();
  fs.crash();
  const again = await open(fs);
  expect(again.get(key('after-crash'))).toEqual(next);
  return revision;
}

class SimulatedCrash extends Error {}

describe('PersistentStore: crash at every failpoint', () => {
  const crashes: Array<[string, CrashOptions['random'] | undefined]> = [
    ['losing everything unsynced', undefined],
    ['keeping a random part of what was unsynced', seededRandom(7)],
  ];
  for (const failpoint of FAILPOINTS) {
    for (const [mode, keep] of crashes) {
      it(`${failpoint}, ${mode}: acknowledged writes survive, state is a prefix`, async () => {
        let outcomes = 0;
        for (const k of [1, 2, 3, 5, 8, 13]) {
          const fs = new CrashFs();
          const random = seededRandom(1000 * k + failpoint.length);
          let hits = 0;
          const options = {
            snapshotEvery: 4,
            failpoint: (name: Failpoint) => {
              if (name === failpoint && ++hits === k) throw new SimulatedCrash(`${name} #${k}`);
            },
          };
          let result: WorkloadResult = { applied: [], acknowledged: 0 };
          let store: PersistentStore | undefined;
          try {
            store = await open(fs, options);
          } catch (error) {
            // Only the snapshot failpoints fire while opening (the first checkpoint).
            expect(error).toBeInstanceOf(SimulatedCrash);
            expect(k).toBe(1);
          }
          if (store) {
            result = await workload(store, random, 100);
            expect(store.failed?.cause, `k=${k} hits=${hits}`).toBeInstanceOf(SimulatedCrash);
          }
          expect(hits).toBe(k);
          fs.crash(keep ? { random: keep } : {});
          const recovered = await checkRecovery(fs, result);
          if (recovered < (result.applied.at(-1)?.revision ?? 0)) outcomes++;
        }
        // Somewhere the crash lost unacknowledged writes, so the test can tell.
        if (failpoint === 'log:after-append' && !keep) expect(outcomes).toBeGreaterThan(0);
      });
    }
  }
});

describe('PersistentStore: power cut at a random moment', () => {
  it('after any number of steps, with or without torn writes, recovers a prefix with every acknowledged write', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const random = seededRandom(seed);
      const fs = new CrashFs();
      const store = await open(fs, { snapshotEvery: 1 + randomInt(random, 10) });
      const torn = seed % 2 === 0;
      const result = await workload(store, random, 50, {
        at: 1 + randomInt(random, 49),
        cut: () => fs.crash(torn ? { random } : {}),
      });
      await checkRecovery(fs, result);
    }
  });
});
