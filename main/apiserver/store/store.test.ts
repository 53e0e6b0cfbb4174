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
});
