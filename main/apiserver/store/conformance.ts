/**
 * The store conformance suite, run against every store implementation (DESIGN.md rule 6). Each
 * case is named after its upstream counterpart in k8s.io/apiserver/pkg/storage/testing
 * (store_tests.go, watcher_tests.go) and checks the same contract.
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/objects';
import { NO_CHANGE, StoreError, type MemoryStore, type ObjectKey, type StoreEvent } from './store';

/** Makes a fresh, empty store; `reopen` (for persistent stores) returns the store as restarted. */
export interface StoreFactory {
  create(): Promise<MemoryStore> | MemoryStore;
  /**
   * Stops `store` cleanly and opens it again from what it persisted. Stores that keep nothing
   * across a restart leave it out, and the restart cases are skipped for them.
   */
  reopen?(store: MemoryStore): Promise<MemoryStore>;
}

function pod(namespace: string, name: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace, name, labels, uid: `uid-${name}` },
  };
}

function key(namespace: string, name: string, resource = '/pods'): ObjectKey {
  return { resource, namespace, name };
}

function collect(): { events: StoreEvent[]; sink: (e: StoreEvent) => boolean } {
  const events: StoreEvent[] = [];
  return { events, sink: (e) => (events.push(e), true) };
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

export function runStoreConformance(name: string, factory: StoreFactory): void {
  describe(`store conformance: ${name}`, () => {
    it('RunTestCreate: stores the object with a new resourceVersion', async () => {
      const store = await factory.create();
      const before = store.revision;
      const created = store.create(key('ns', 'foo'), pod('ns', 'foo'));
      expect(Number(created.metadata.resourceVersion)).toBe(before + 1);
      expect(store.get(key('ns', 'foo'))).toEqual(created);
    });

    it('RunTestCreateWithKeyExist: refuses a second create of the same key', async () => {
      const store = await factory.create();
      store.create(key('ns', 'foo'), pod('ns', 'foo'));
      expect(() => store.create(key('ns', 'foo'), pod('ns', 'foo'))).toThrow(StoreError);
      try {
        store.create(key('ns', 'foo'), pod('ns', 'foo'));
      } catch (error) {
        expect((error as StoreError).code).toBe('AlreadyExists');
      }
    });

    it('RunTestGet: returns the stored object, undefined when absent', async () => {
      const store = await factory.create();
      expect(store.get(key('ns', 'missing'))).toBeUndefined();
      const created = store.create(key('ns', 'foo'), pod('ns', 'foo'));
      expect(store.get(key('ns', 'foo'))?.metadata.resourceVersion).toBe(
        created.metadata.resourceVersion,
      );
    });

    it('RunTestUnconditionalDelete: deletes and returns the last state with the delete revision', async () => {
      const store = await factory.create();
      store.create(key('ns', 'foo'), pod('ns', 'foo'));
      const deleted = store.delete(key('ns', 'foo'));
      expect(deleted.metadata.name).toBe('foo');
      expect(Number(deleted.metadata.resourceVersion)).toBe(store.revision);
      expect(store.get(key('ns', 'foo'))).toBeUndefined();
      expect(() => store.delete(key('ns', 'foo'))).toThrow(/not found/);
    });

    it('RunTestConditionalDelete: honours uid and resourceVersion preconditions', async () => {
      const store = await factory.create();
      const created = store.create(key('ns', 'foo'), pod('ns', 'foo'));
      expect(() => store.delete(key('ns', 'foo'), { uid: 'other' })).toThrow(
        'Precondition failed: UID in precondition: other, UID in object meta: uid-foo',
      );
      expect(() => store.delete(key('ns', 'foo'), { resourceVersion: '999' })).toThrow(
        /ResourceVersion in precondition: 999/,
      );
      store.delete(key('ns', 'foo'), {
        uid: 'uid-foo',
        resourceVersion: created.metadata.resourceVersion,
      });
      expect(store.get(key('ns', 'foo'))).toBeUndefined();
    });

    it('RunTestGuaranteedUpdate: applies the update and bumps the revision', async () => {
      const store = await factory.create();
      store.create(key('ns', 'foo'), pod('ns', 'foo'));
      const updated = store.guaranteedUpdate(key('ns', 'foo'), (current) => ({
        ...current,
        metadata: { ...current.metadata, labels: { a: 'b' } },
      }));
      expect(updated.metadata.labels).toEqual({ a: 'b' });
      expect(Number(updated.metadata.resourceVersion)).toBe(store.revision);
    });

    it('RunTestGuaranteedUpdateChecksStoredData: no change means no write', async () => {
      const store = await factory.create();
      const created = store.create(key('ns', 'foo'), pod('ns', 'foo'));
      const revision = store.revision;
      const same = store.guaranteedUpdate(key('ns', 'foo'), () => NO_CHANGE);
      expect(same).toBe(store.get(key('ns', 'foo')));
      expect(same.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
      expect(store.revision).toBe(revision);
    });

    it('RunTestGuaranteedUpdateWithConflict: a stale resourceVersion precondition conflicts', async () => {
      const store = await factory.create();
      const created = store.create(key('ns', 'foo'), pod('ns', 'foo'));
      store.guaranteedUpdate(key('ns', 'foo'), (c) => ({ ...c, spec: { a: 1 } }));
      expect(() =>
        store.guaranteedUpdate(key('ns', 'foo'), (c) => c, {
          resourceVersion: created.metadata.resourceVersion,
        }),
      ).toThrow(StoreError);
      expect(() => store.guaranteedUpdate(key('ns', 'missing'), (c) => c)).toThrow(/not found/);
    });

    it('RunTestList: lists a bucket or one namespace, in key order, at the current revision', async () => {
      const store = await factory.create();
      store.create(key('b', 'two'), pod('b', 'two'));
      store.create(key('a', 'one'), pod('a', 'one'));
      store.create(key('a', 'zero'), pod('a', 'zero'));
      store.create(key('', 'node', '/nodes'), { metadata: { name: 'node' } });
      const all = store.list('/pods');
      expect(all.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
        'a/one',
        'a/zero',
        'b/two',
      ]);
      expect(all.revision).toBe(store.revision);
      expect(store.list('/pods', 'a').items).toHaveLength(2);
      expect(store.list('/nodes').items.map((o) => o.metadata.name)).toEqual(['node']);
      expect(store.list('/nothing').items).toEqual([]);
    });

    it('RunTestWatch: delivers ADDED, MODIFIED and DELETED in order after the write', async () => {
      const store = await factory.create();
      const { events, sink } = collect();
      store.watch({ resource: '/pods', sinceRevision: store.revision }, sink);
      store.create(key('ns', 'foo'), pod('ns', 'foo'));
      store.guaranteedUpdate(key('ns', 'foo'), (c) => ({ ...c, spec: { x: 1 } }));
      store.delete(key('ns', 'foo'));
      expect(events).toEqual([]); // delivered after the writes, never during one
      await tick();
      expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
      const revisions = events.map((e) => e.revision);
      expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
    });

    it('RunTestDeleteTriggerWatch and RunTestWatchDeleteEventObjectHaveLatestRV', async () => {
      const store = await factory.create();
      store.create(key('ns', 'foo'), pod('ns', 'foo', { app: 'x' }));
      const { events, sink } = collect();
      store.watch({ resource: '/pods', sinceRevision: store.revision }, sink);
      store.delete(key('ns', 'foo'));
      await tick();
      expect(events).toHaveLength(1);
      expect(events[0]!.type).toBe('DELETED');
      expect(events[0]!.object.metadata.labels).toEqual({ app: 'x' });
      expect(events[0]!.object.metadata.resourceVersion).toBe(String(store.revision));
    });

    it('RunTestWatchFromZero: starts with ADDED for every existing object', async () => {
      const store = await factory.create();
      store.create(key('ns', 'a'), pod('ns', 'a'));
      store.create(key('ns', 'b'), pod('ns', 'b'));
      const { events, sink } = collect();
      store.watch({ resource: '/pods', sinceRevision: 0 }, sink);
      expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([
        ['ADDED', 'a'],
        ['ADDED', 'b'],
      ]);
      store.create(key('ns', 'c'), pod('ns', 'c'));
      await tick();
      expect(events.map((e) => e.object.metadata.name)).toEqual(['a', 'b', 'c']);
    });

    it('RunTestWatchFromNonZero: replays only what happened after the revision', async () => {
      const store = await factory.create();
      store.create(key('ns', 'a'), pod('ns', 'a'));
      const from = store.revision;
      store.create(key('ns', 'b'), pod('ns', 'b'));
      store.guaranteedUpdate(key('ns', 'a'), (c) => ({ ...c, spec: {} }));
      const { events, sink } = collect();
      store.watch({ resource: '/pods', sinceRevision: from }, sink);
      await tick();
      expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([
        ['ADDED', 'b'],
        ['MODIFIED', 'a'],
      ]);
    });

    it('RunTestNamespaceScopedWatch and RunTestClusterScopedWatch: watch only their scope', async () => {
      const store = await factory.create();
      const inA = collect();
      const nodes = collect();
      store.watch({ resource: '/pods', namespace: 'a', sinceRevision: store.revision }, inA.sink);
      store.watch({ resource: '/nodes', sinceRevision: store.revision }, nodes.sink);
      store.create(key('a', 'x'), pod('a', 'x'));
      store.create(key('b', 'y'), pod('b', 'y'));
      store.create(key('', 'n1', '/nodes'), { metadata: { name: 'n1' } });
      await tick();
      expect(inA.events.map((e) => e.object.metadata.name)).toEqual(['x']);
      expect(nodes.events.map((e) => e.object.metadata.name)).toEqual(['n1']);
    });

    it('too old resource version: a watch older than the history answers Expired (410)', async () => {
      const store = await factory.create();
      store.create(key('ns', 'a'), pod('ns', 'a'));
      const old = store.revision;
      for (let i = 0; i < 5; i++)
        store.guaranteedUpdate(key('ns', 'a'), (c) => ({ ...c, spec: { i } }));
      // The suite's stores keep a history of 3 events (see the factories).
      expect(() => store.watch({ resource: '/pods', sinceRevision: old }, () => true)).toThrow(
        /^too old resource version: \d+ \(\d+\)$/,
      );
      const { events, sink } = collect();
      store.watch({ resource: '/pods', sinceRevision: store.oldestWatchableRevision }, sink);
      await tick();
      expect(events.length).toBe(3);
    });

    it('slow watcher: a sink that refuses an event is closed, never buffered without bound', async () => {
      const store = await factory.create();
      const reasons: string[] = [];
      let accepted = 0;
      const watch = store.watch(
        { resource: '/pods', sinceRevision: store.revision, onClose: (r) => reasons.push(r) },
        () => ++accepted < 2,
      );
      for (let i = 0; i < 10; i++) store.create(key('ns', `p${i}`), pod('ns', `p${i}`));
      await tick();
      expect(accepted).toBe(2);
      expect(watch.stopped).toBe(true);
      expect(reasons).toEqual(['watcher fell behind']);
      expect(store.watcherCount).toBe(0);
    });

    it('RunTestWatchContextCancel: a stopped watch receives nothing more', async () => {
      const store = await factory.create();
      const { events, sink } = collect();
      const watch = store.watch({ resource: '/pods', sinceRevision: store.revision }, sink);
      store.create(key('ns', 'a'), pod('ns', 'a'));
      watch.stop();
      await tick();
      expect(events).toEqual([]);
    });

    it('revisions are global: one counter across resources, one step per write', async () => {
      const store = await factory.create();
      const start = store.revision;
      store.create(key('ns', 'a'), pod('ns', 'a'));
      store.create(key('', 'n', '/nodes'), { metadata: { name: 'n' } });
      store.delete(key('ns', 'a'));
      expect(store.revision).toBe(start + 3);
    });

    const { reopen } = factory;
    describe.runIf(reopen !== undefined)('across a restart', () => {
      const restart = (store: MemoryStore): Promise<MemoryStore> => reopen!(store);

      it('RunTestCreate and RunTestGet: objects keep their content, uid and resourceVersion', async () => {
        const store = await factory.create();
        const a = store.create(key('ns', 'a'), pod('ns', 'a', { app: 'x' }));
        const node = store.create(key('', 'n', '/nodes'), { metadata: { name: 'n' } });
        const revision = store.revision;
        const restarted = await restart(store);
        expect(restarted.revision).toBe(revision);
        expect(restarted.get(key('ns', 'a'))).toEqual(a);
        expect(restarted.get(key('', 'n', '/nodes'))).toEqual(node);
        expect(restarted.get(key('ns', 'a'))?.metadata.uid).toBe('uid-a');
        expect(Object.isFrozen(restarted.get(key('ns', 'a'))?.metadata.labels)).toBe(true);
        expect(restarted.list('/pods').items.map((o) => o.metadata.name)).toEqual(['a']);
      });

      it('RunTestGuaranteedUpdate and RunTestUnconditionalDelete: the last write wins, deleted stays deleted', async () => {
        const store = await factory.create();
        store.create(key('ns', 'a'), pod('ns', 'a'));
        store.create(key('ns', 'b'), pod('ns', 'b'));
        const updated = store.guaranteedUpdate(key('ns', 'a'), (c) => ({ ...c, spec: { v: 2 } }));
        store.delete(key('ns', 'b'));
        const restarted = await restart(store);
        expect(restarted.get(key('ns', 'a'))).toEqual(updated);
        expect(restarted.get(key('ns', 'b'))).toBeUndefined();
        expect(restarted.count('/pods')).toBe(1);
      });

      it('revisions continue from the last write, never reusing a resourceVersion', async () => {
        const store = await factory.create();
        store.create(key('ns', 'a'), pod('ns', 'a'));
        store.delete(key('ns', 'a'));
        const revision = store.revision;
        const restarted = await restart(store);
        const created = restarted.create(key('ns', 'a'), pod('ns', 'a'));
        expect(created.metadata.resourceVersion).toBe(String(revision + 1));
      });

      it('RunTestWatchFromNonZero: a resourceVersion from before the restart answers Expired', async () => {
        const store = await factory.create();
        store.create(key('ns', 'a'), pod('ns', 'a'));
        const before = store.revision;
        store.create(key('ns', 'b'), pod('ns', 'b'));
        const restarted = await restart(store);
        expect(() =>
          restarted.watch({ resource: '/pods', sinceRevision: before }, () => true),
        ).toThrow(/^too old resource version/);
        const { events, sink } = collect();
        restarted.watch({ resource: '/pods', sinceRevision: restarted.revision }, sink);
        restarted.create(key('ns', 'c'), pod('ns', 'c'));
        await tick();
        expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([['ADDED', 'c']]);
      });
    });
  });
}

export { NO_CHANGE };
