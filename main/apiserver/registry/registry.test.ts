import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../base/clock';
import { seededRandom } from '../../base/random';
import type { KubeObject } from '../../kube/objects';
import { findResource } from '../../kube/resources';
import { StatusError } from '../../kube/status';
import { MemoryStore } from '../store/store';
import { Registry } from './registry';

const pods = findResource('', 'v1', 'pods')!;
const namespaces = findResource('', 'v1', 'namespaces')!;

function setup(): Registry {
  const registry = new Registry({
    store: new MemoryStore(),
    clock: new FakeClock(Date.UTC(2026, 0, 1)),
    random: seededRandom(1),
  });
  registry.create(namespaces, '', { metadata: { name: 'default' } } as KubeObject);
  registry.create(findResource('', 'v1', 'serviceaccounts')!, 'default', {
    metadata: { name: 'default' },
  } as KubeObject);
  registry.create(pods, 'default', {
    metadata: { name: 'web' },
    spec: { containers: [{ name: 'c', image: 'nginx' }] },
  } as KubeObject);
  return registry;
}

function conflictOf(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    if (error instanceof StatusError) return `${error.code} ${error.message}`;
    throw error;
  }
  return 'no error';
}

describe('Registry.bind (pods/binding)', () => {
  it('sets nodeName, which a pod update may not change, and PodScheduled=True', () => {
    const registry = setup();
    const bound = registry.bind('default', {
      metadata: { name: 'web', annotations: { note: 'x' } },
      target: { kind: 'Node', name: 'node-1' },
    } as unknown as KubeObject);
    expect((bound.spec as { nodeName: string }).nodeName).toBe('node-1');
    expect(bound.metadata.annotations).toEqual({ note: 'x' });
    expect((bound as unknown as { status: { conditions: unknown[] } }).status.conditions).toEqual([
      {
        type: 'PodScheduled',
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    ]);
  });

  it('refuses a bound pod, a pod being deleted and a wrong uid in upstream wording', () => {
    const registry = setup();
    const binding = {
      metadata: { name: 'web' },
      target: { name: 'node-1' },
    } as unknown as KubeObject;
    expect(
      conflictOf(() =>
        registry.bind('default', { ...binding, metadata: { name: 'web', uid: 'nope' } }),
      ),
    ).toMatch(
      /^409 Operation cannot be fulfilled on pods "web": Precondition failed: UID in precondition: nope, UID in object meta: /,
    );
    registry.bind('default', binding);
    expect(conflictOf(() => registry.bind('default', binding))).toBe(
      '409 Operation cannot be fulfilled on pods/binding "web": pod web is already assigned to node "node-1"',
    );
    expect(
      conflictOf(() => registry.bind('default', { ...binding, metadata: { name: 'gone' } })),
    ).toBe('404 pods "gone" not found');
  });
});

describe('Registry.create: values shared between objects made from one template', () => {
  type PodSpec = {
    containers: unknown[];
    tolerations?: unknown[];
    volumes?: { projected: unknown }[];
  };
  const specOf = (pod: KubeObject): PodSpec => pod.spec as PodSpec;
  const template = (name: string, image: string, automount = false): KubeObject =>
    ({
      metadata: { name, labels: { app: 'agent' } },
      spec: {
        automountServiceAccountToken: automount,
        containers: [{ name: 'agent', image, command: ['sleep', 'infinity'] }],
        tolerations: [{ operator: 'Exists' }],
      },
    }) as unknown as KubeObject;

  it('stores the same containers once; a pod whose containers differ keeps its own', () => {
    const registry = setup();
    const a = registry.create(pods, 'default', template('a', 'busybox:1.36'));
    const b = registry.create(pods, 'default', template('b', 'busybox:1.36'));
    const c = registry.create(pods, 'default', template('c', 'busybox:1.37'));
    expect(specOf(b).containers).toBe(specOf(a).containers);
    expect(specOf(b).tolerations).toBe(specOf(a).tolerations);
    expect(b.metadata.labels).toBe(a.metadata.labels);
    expect(specOf(c).containers).not.toBe(specOf(a).containers);
    expect(specOf(c).containers).toEqual([
      expect.objectContaining({ name: 'agent', image: 'busybox:1.37' }),
    ]);
    // What is shared is what each would have had: the stored objects read as before.
    expect(specOf(a).containers).toEqual([
      expect.objectContaining({ name: 'agent', image: 'busybox:1.36' }),
    ]);
    expect(Object.isFrozen(specOf(b).containers)).toBe(true);
    expect(registry.get(pods, 'default', 'b')).toBe(b);
  });

  it('shares the parts of values that differ only in a name (service account token volumes)', () => {
    const registry = setup();
    const a = registry.create(pods, 'default', template('a', 'busybox:1.36', true));
    const b = registry.create(pods, 'default', template('b', 'busybox:1.36', true));
    const [va] = specOf(a).volumes!;
    const [vb] = specOf(b).volumes!;
    expect(vb).not.toBe(va);
    expect(vb!.projected).toBe(va!.projected);
  });

  it('shares nothing with a dry run', () => {
    const registry = setup();
    const a = registry.create(pods, 'default', template('a', 'busybox:1.36'), { dryRun: true });
    expect(Object.isFrozen(specOf(a).containers)).toBe(false);
    const b = registry.create(pods, 'default', template('b', 'busybox:1.36'));
    expect(specOf(b).containers).not.toBe(specOf(a).containers);
  });
});
