import { describe, expect, it } from 'vitest';
import { runStoreConformance } from './conformance';
import { MemoryStore } from './store';

runStoreConformance('memory', { create: () => new MemoryStore({ historySize: 3 }) });

describe('MemoryStore', () => {
  it('continues revisions from startRevision (a restored store)', () => {
    const store = new MemoryStore({ startRevision: 41 });
    const created = store.create(
      { resource: '/x', namespace: '', name: 'a' },
      { metadata: { name: 'a' } },
    );
    expect(created.metadata.resourceVersion).toBe('42');
  });

  it('reports every applied write to mutation listeners', () => {
    const store = new MemoryStore();
    const ops: string[] = [];
    store.onMutation((m) => ops.push(`${m.op}:${m.key.name}:${m.revision}`));
    const key = { resource: '/x', namespace: '', name: 'a' };
    store.create(key, { metadata: { name: 'a' } });
    store.guaranteedUpdate(key, (c) => ({ ...c, data: 1 }));
    store.delete(key);
    expect(ops).toEqual(['put:a:1', 'put:a:2', 'delete:a:3']);
  });

  it('has nothing to make durable: flushed() resolves at once', async () => {
    const store = new MemoryStore();
    store.create({ resource: '/x', namespace: '', name: 'a' }, { metadata: { name: 'a' } });
    let done = false;
    void store.flushed().then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(true);
  });

  it('lists every stored object with its key for snapshots', () => {
    const store = new MemoryStore();
    const a = store.create(
      { resource: '/x', namespace: 'ns', name: 'a' },
      { metadata: { name: 'a' } },
    );
    const b = store.create(
      { resource: '/y', namespace: '', name: 'b' },
      { metadata: { name: 'b' } },
    );
    store.create({ resource: '/y', namespace: '', name: 'c' }, { metadata: { name: 'c' } });
    store.delete({ resource: '/y', namespace: '', name: 'c' });
    expect([...store.entries()]).toEqual([
      { key: { resource: '/x', namespace: 'ns', name: 'a' }, object: a },
      { key: { resource: '/y', namespace: '', name: 'b' }, object: b },
    ]);
  });
});
