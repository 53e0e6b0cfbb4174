import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../base/clock';
import { seededRandom } from '../../base/random';
import { findResource } from '../../kube/resources';
import type { KubeObject } from '../../kube/objects';
import { Registry } from '../../apiserver/registry/registry';
import { MemoryStore } from '../../apiserver/store/store';
import { ControllerManager } from './manager';
import { keyOf, splitKey } from './informer';

const configMaps = findResource('', 'v1', 'configmaps')!;
const namespaces = findResource('', 'v1', 'namespaces')!;
const events = findResource('', 'v1', 'events')!;

function setup(): { registry: Registry; clock: FakeClock; manager: ControllerManager } {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const store = new MemoryStore();
  const registry = new Registry({ store, clock, random: seededRandom(1) });
  registry.create(namespaces, '', { metadata: { name: 'default' } } as KubeObject);
  const manager = new ControllerManager({ registry, clock, random: seededRandom(2) });
  return { registry, clock, manager };
}

describe('ControllerManager', () => {
  it('fills queues from the informers, syncs each key once per change, and settles', async () => {
    const { registry, manager } = setup();
    registry.create(configMaps, 'default', { metadata: { name: 'a' } } as KubeObject);
    const synced: string[] = [];
    manager.add((ctx) => {
      const informer = ctx.informers.for(configMaps);
      const queue = ctx.queue('mirror', (key) => {
        synced.push(key);
        const { namespace, name } = splitKey(key);
        const cm = informer.get(namespace, name);
        // A controller that labels every ConfigMap it sees, writing through the registry.
        if (cm && cm.metadata.labels?.seen !== 'yes') {
          ctx.registry.modify(configMaps, namespace, name, (copy) => {
            copy.metadata.labels = { seen: 'yes' };
            return copy;
          });
        }
      });
      informer.addHandlers({
        add: (o) => queue.add(keyOf(o)),
        update: (_, o) => queue.add(keyOf(o)),
      });
      return {};
    });
    manager.start();
    registry.create(configMaps, 'default', { metadata: { name: 'b' } } as KubeObject);
    await manager.settle();
    expect(registry.get(configMaps, 'default', 'a').metadata.labels).toEqual({ seen: 'yes' });
    expect(registry.get(configMaps, 'default', 'b').metadata.labels).toEqual({ seen: 'yes' });
    // Each key: its add, then the update its own write caused.
    expect(synced).toEqual(['default/a', 'default/b', 'default/a', 'default/b']);
    manager.stop();
  });

  it('retries a failing key with backoff on the clock, and forgets it after a success', async () => {
    const { clock, manager } = setup();
    let failures = 2;
    const attempts: number[] = [];
    let queue!: ReturnType<typeof manager.context.queue>;
    manager.add((ctx) => {
      queue = ctx.queue('flaky', () => {
        attempts.push(clock.now());
        if (failures-- > 0) throw new Error('not yet');
      });
      return {};
    });
    manager.start();
    const start = clock.now();
    queue.add('k');
    await manager.settle();
    expect(attempts).toEqual([start]);
    clock.advance(5);
    await manager.settle();
    clock.advance(10);
    await manager.settle();
    expect(attempts.map((t) => t - start)).toEqual([0, 5, 15]);
    expect(queue.numRequeues('k')).toBe(0);
    manager.stop();
  });

  it('records events, counting identical repeats like client-go', async () => {
    const { registry, clock, manager } = setup();
    const cm = registry.create(configMaps, 'default', { metadata: { name: 'a' } } as KubeObject);
    const recorder = manager.context.recorder({ component: 'test-controller' });
    recorder.event(cm, 'Warning', 'Broken', 'it broke');
    clock.advance(60_000);
    recorder.event(cm, 'Warning', 'Broken', 'it broke');
    recorder.event(cm, 'Normal', 'Fixed', 'it works');
    const list = registry.list(events, 'default').items as Array<
      KubeObject & { count: number; reason: string; firstTimestamp: string; lastTimestamp: string }
    >;
    expect(list.map((e) => [e.reason, e.count])).toEqual(
      expect.arrayContaining([
        ['Broken', 2],
        ['Fixed', 1],
      ]),
    );
    const broken = list.find((e) => e.reason === 'Broken')!;
    expect(broken.metadata.name).toMatch(/^a\.[0-9a-f]+$/);
    expect(Date.parse(broken.lastTimestamp) - Date.parse(broken.firstTimestamp)).toBe(60_000);
    expect(broken).toMatchObject({
      involvedObject: { kind: 'ConfigMap', name: 'a', namespace: 'default' },
      source: { component: 'test-controller' },
      reportingComponent: 'test-controller',
      type: 'Warning',
    });
    manager.stop();
  });
});
