import { describe, expect, it } from 'vitest';
import { parseSelector } from '../../kube/labels';
import type { KubeObject } from '../../kube/objects';
import {
  claimObjects,
  computeHash,
  fnv32a,
  isPodAvailable,
  podsPrefix,
  slowStartBatch,
} from './controller-util';

describe('controller utilities', () => {
  it('fnv32a matches the reference vectors', () => {
    expect(fnv32a('')).toBe(0x811c9dc5);
    expect(fnv32a('a')).toBe(0xe40c292c);
    expect(fnv32a('foobar')).toBe(0xbf9cf968);
  });

  it('template hashes look like upstream and change with the collision count', () => {
    const template = {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'c' }] },
    };
    const hash = computeHash(template);
    expect(hash).toMatch(/^[4-9bcdf]{1,10}$/);
    expect(computeHash({ spec: template.spec, metadata: template.metadata })).toBe(hash);
    expect(computeHash(template, 1)).not.toBe(hash);
  });

  it('slow start: batches of 1, 2, 4 … stopping at the first failing batch', () => {
    let calls = 0;
    const result = slowStartBatch(100, 1, () => {
      calls++;
      if (calls > 10) throw new Error('quota');
    });
    // TestSimpleDaemonSetPodCreateErrors: a quota of 10 on 100 nodes gives ≤ 1+2+4+8 calls.
    expect(calls).toBe(15);
    expect(result.successes).toBe(10);
    expect(slowStartBatch(5, 1, () => undefined)).toEqual({ successes: 5, error: undefined });
  });

  it('claims: keeps owned, adopts selected orphans, releases owned pods it no longer selects', () => {
    const owner = { metadata: { name: 'ds', uid: 'u1' } } as KubeObject;
    const ref = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      name: 'ds',
      uid: 'u1',
      controller: true,
    };
    const pods = [
      { metadata: { name: 'owned', labels: { app: 'a' }, ownerReferences: [ref] } },
      { metadata: { name: 'orphan', labels: { app: 'a' } } },
      { metadata: { name: 'relabelled', labels: { app: 'b' }, ownerReferences: [ref] } },
      {
        metadata: { name: 'other', labels: { app: 'a' }, ownerReferences: [{ ...ref, uid: 'u2' }] },
      },
    ] as KubeObject[];
    const released: string[] = [];
    const claimed = claimObjects(owner, parseSelector('app=a'), pods, {
      adopt: (pod) => pod,
      release: (pod) => released.push(pod.metadata.name!),
      canAdopt: () => true,
    });
    expect(claimed.map((p) => p.metadata.name)).toEqual(['owned', 'orphan']);
    expect(released).toEqual(['relabelled']);
  });

  it('availability waits minReadySeconds after the Ready transition', () => {
    const pod = {
      metadata: {},
      status: {
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }],
      },
    } as KubeObject;
    const t = Date.parse('2026-01-01T00:00:00Z');
    expect(isPodAvailable(pod, 0, t)).toBe(true);
    expect(isPodAvailable(pod, 10, t + 10_000)).toBe(false);
    expect(isPodAvailable(pod, 10, t + 10_001)).toBe(true);
    expect(podsPrefix('web')).toBe('web-');
  });
});
