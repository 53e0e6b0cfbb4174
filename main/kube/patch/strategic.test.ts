import { describe, expect, it } from 'vitest';
import { strategicMergePatch } from './strategic';
import { jsonMergePatch } from './merge-patch';
import { applyJsonPatch } from './json-patch';
import { PatchError } from './errors';

const DS = 'io.k8s.api.apps.v1.DaemonSet';
const POD = 'io.k8s.api.core.v1.Pod';

function daemonSet(containers: unknown[]): Record<string, unknown> {
  return { metadata: { name: 'agent' }, spec: { template: { spec: { containers } } } };
}

describe('strategic merge patch', () => {
  it('applies what kubectl apply sends: $setElementOrder and merge by name inside list items', () => {
    const live = daemonSet([
      { name: 'agent', image: 'busybox:1.36', env: [{ name: 'MODE', value: 'one' }] },
    ]);
    const patch = {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'agent' }],
            containers: [
              {
                '$setElementOrder/env': [{ name: 'MODE' }],
                env: [{ name: 'MODE', value: 'two' }],
                image: 'busybox:1.37',
                name: 'agent',
              },
            ],
          },
        },
      },
    };
    expect(strategicMergePatch(live, patch, DS)).toEqual(
      daemonSet([{ name: 'agent', image: 'busybox:1.37', env: [{ name: 'MODE', value: 'two' }] }]),
    );
  });

  it('deletes list items with $patch: delete and fields with null', () => {
    const live = daemonSet([
      {
        name: 'a',
        image: 'x',
        env: [
          { name: 'MODE', value: '1' },
          { name: 'EXTRA', value: 'e' },
        ],
      },
    ]);
    const patch = {
      spec: {
        template: {
          spec: {
            containers: [{ name: 'a', env: [{ $patch: 'delete', name: 'MODE' }], image: null }],
          },
        },
      },
    };
    expect(strategicMergePatch(live, patch, DS)).toEqual(
      daemonSet([{ name: 'a', env: [{ name: 'EXTRA', value: 'e' }] }]),
    );
  });

  it('puts a new merge-list element before the live ones when no order is given (upstream order)', () => {
    const live = daemonSet([
      { name: 'a', image: '1' },
      { name: 'b', image: '2' },
      { name: 'c', image: '3' },
    ]);
    const result = strategicMergePatch(
      live,
      { spec: { template: { spec: { containers: [{ name: 'd', image: '4' }] } } } },
      DS,
    ) as ReturnType<typeof daemonSet>;
    const names = (
      result.spec as { template: { spec: { containers: Array<{ name: string }> } } }
    ).template.spec.containers.map((c) => c.name);
    expect(names).toEqual(['d', 'a', 'b', 'c']);
  });

  it('replaces lists without a merge strategy (tolerations, taints)', () => {
    const live = { spec: { tolerations: [{ key: 'a', operator: 'Exists' }], containers: [] } };
    const result = strategicMergePatch(
      live,
      { spec: { tolerations: [{ key: 'b', operator: 'Exists' }] } },
      POD,
    );
    expect(result).toEqual({
      spec: { tolerations: [{ key: 'b', operator: 'Exists' }], containers: [] },
    });
  });

  it('unions scalar merge lists (finalizers) and deletes from them', () => {
    const live = { metadata: { name: 'p', finalizers: ['a', 'b'] } };
    expect(strategicMergePatch(live, { metadata: { finalizers: ['c'] } }, POD)).toEqual({
      metadata: { name: 'p', finalizers: ['c', 'a', 'b'] },
    });
    expect(
      strategicMergePatch(
        live,
        { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } },
        POD,
      ),
    ).toEqual({
      metadata: { name: 'p', finalizers: ['b'] },
    });
  });

  it('honours $retainKeys (Deployment strategy) and $patch: replace on maps', () => {
    const live = { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } };
    const patch = {
      spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } },
    };
    expect(strategicMergePatch(live, patch, 'io.k8s.api.apps.v1.Deployment')).toEqual({
      spec: { strategy: { type: 'Recreate' } },
    });
    const replaced = strategicMergePatch(
      { spec: { template: { metadata: { labels: { a: '1' } }, spec: { containers: [] } } } },
      { spec: { template: { metadata: { labels: { b: '2' } }, $patch: 'replace' } } },
      DS,
    );
    expect(replaced).toEqual({ spec: { template: { metadata: { labels: { b: '2' } } } } });
  });

  it('drops directives inside values that are added, and rejects unknown directives', () => {
    expect(
      strategicMergePatch(
        { metadata: {} },
        { spec: { containers: [{ name: 'x', $patch: 'delete' }, { name: 'y' }] } },
        POD,
      ),
    ).toEqual({
      metadata: {},
      spec: { containers: [{ name: 'y' }] },
    });
    expect(() =>
      strategicMergePatch(
        { spec: { template: {} } },
        { spec: { template: { $patch: 'merge' } } },
        DS,
      ),
    ).toThrow(/unknown patch type: merge in map/);
    expect(() => strategicMergePatch({}, [1], DS)).toThrow(PatchError);
  });
});

describe('JSON merge patch and JSON patch', () => {
  it('merge patch merges maps, replaces lists and deletes with null', () => {
    expect(
      jsonMergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [3] }),
    ).toEqual({ a: { c: 2, d: 3 }, l: [3] });
  });

  it('JSON patch applies operations in order and fails the whole patch on a failed test', () => {
    const doc = { spec: { replicas: 1, list: ['a'] } };
    expect(
      applyJsonPatch(doc, [
        { op: 'replace', path: '/spec/replicas', value: 3 },
        { op: 'add', path: '/spec/list/-', value: 'b' },
        { op: 'copy', from: '/spec/replicas', path: '/spec/copied' },
        { op: 'move', from: '/spec/copied', path: '/spec/moved' },
        { op: 'remove', path: '/spec/list/0' },
        { op: 'test', path: '/spec/moved', value: 3 },
      ]),
    ).toEqual({ spec: { replicas: 3, list: ['b'], moved: 3 } });
    expect(doc).toEqual({ spec: { replicas: 1, list: ['a'] } });
    expect(() => applyJsonPatch(doc, [{ op: 'test', path: '/spec/replicas', value: 2 }])).toThrow(
      'the server rejected our request due to an error in our request',
    );
    expect(() => applyJsonPatch(doc, [{ op: 'remove', path: '/nope' }])).toThrow(PatchError);
    expect(() => applyJsonPatch(doc, { op: 'add' })).toThrow(/cannot unmarshal object/);
  });
});
