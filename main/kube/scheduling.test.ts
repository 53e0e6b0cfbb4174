import { describe, expect, it } from 'vitest';
import type { KubeObject } from './objects';
import {
  nodeShouldRunDaemonPod,
  pinToNode,
  podMatchesNodeAffinity,
  targetNodeName,
  toleratesTaint,
  withDaemonTolerations,
} from './scheduling';

function node(
  name: string,
  labels: Record<string, string> = {},
  taints: unknown[] = [],
): KubeObject {
  return { metadata: { name, labels }, spec: { taints } } as KubeObject;
}

function daemonSet(podSpec: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name: 'ds' },
    spec: { template: { metadata: { labels: { app: 'ds' } }, spec: podSpec } },
  } as KubeObject;
}

describe('toleratesTaint', () => {
  const taint = { key: 'k', value: 'v', effect: 'NoSchedule' as const };
  it('follows Toleration.ToleratesTaint', () => {
    expect(toleratesTaint({ key: 'k', operator: 'Equal', value: 'v' }, taint)).toBe(true);
    expect(toleratesTaint({ key: 'k', value: 'v' }, taint)).toBe(true);
    expect(toleratesTaint({ key: 'k', value: 'x' }, taint)).toBe(false);
    expect(toleratesTaint({ key: 'k', operator: 'Exists' }, taint)).toBe(true);
    expect(toleratesTaint({ operator: 'Exists' }, taint)).toBe(true);
    expect(toleratesTaint({ operator: 'Exists', effect: 'NoExecute' }, taint)).toBe(false);
    expect(toleratesTaint({ key: 'other', operator: 'Exists' }, taint)).toBe(false);
  });
});

describe('nodeShouldRunDaemonPod (TestNodeShouldRunDaemonPod cases)', () => {
  const ds = daemonSet();
  it('runs on a plain node and on a cordoned one', () => {
    expect(nodeShouldRunDaemonPod(node('n'), ds)).toEqual({
      shouldRun: true,
      shouldContinueRunning: true,
    });
    const cordoned = {
      ...node('n', {}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]),
    };
    expect(nodeShouldRunDaemonPod(cordoned, ds).shouldRun).toBe(true);
  });

  it('an untolerated NoSchedule taint keeps an existing pod; NoExecute does not', () => {
    expect(
      nodeShouldRunDaemonPod(
        node('n', {}, [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]),
        ds,
      ),
    ).toEqual({ shouldRun: false, shouldContinueRunning: true });
    expect(
      nodeShouldRunDaemonPod(
        node('n', {}, [{ key: 'dedicated', value: 'x', effect: 'NoExecute' }]),
        ds,
      ),
    ).toEqual({ shouldRun: false, shouldContinueRunning: false });
    expect(
      nodeShouldRunDaemonPod(node('n', {}, [{ key: 'k', effect: 'PreferNoSchedule' }]), ds),
    ).toEqual({ shouldRun: true, shouldContinueRunning: true });
  });

  it('the default tolerations cover not-ready/unreachable NoExecute only', () => {
    const notReady = (effect: string): KubeObject =>
      node('n', {}, [{ key: 'node.kubernetes.io/not-ready', effect }]);
    expect(nodeShouldRunDaemonPod(notReady('NoExecute'), ds).shouldRun).toBe(true);
    expect(nodeShouldRunDaemonPod(notReady('NoSchedule'), ds)).toEqual({
      shouldRun: false,
      shouldContinueRunning: true,
    });
  });

  it('nodeSelector, required affinity and template nodeName decide both answers', () => {
    const selective = daemonSet({ nodeSelector: { disk: 'ssd' } });
    expect(nodeShouldRunDaemonPod(node('n', { disk: 'ssd' }), selective).shouldRun).toBe(true);
    expect(nodeShouldRunDaemonPod(node('n', { disk: 'hdd' }), selective)).toEqual({
      shouldRun: false,
      shouldContinueRunning: false,
    });
    const named = daemonSet({ nodeName: 'other' });
    expect(nodeShouldRunDaemonPod(node('n'), named).shouldContinueRunning).toBe(false);
    const affine = daemonSet({
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] },
              { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['special'] }] },
            ],
          },
        },
      },
    });
    expect(nodeShouldRunDaemonPod(node('n', { zone: 'b' }), affine).shouldRun).toBe(true);
    expect(nodeShouldRunDaemonPod(node('special'), affine).shouldRun).toBe(true);
    expect(nodeShouldRunDaemonPod(node('n', { zone: 'c' }), affine).shouldRun).toBe(false);
  });
});

describe('daemon pod tolerations and pin', () => {
  it('adds the six defaults (seven with hostNetwork), replacing an identical user one', () => {
    const user = [
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists' as const,
        effect: 'NoExecute' as const,
        tolerationSeconds: 10,
      },
      { key: 'gpu', operator: 'Exists' as const },
    ];
    const result = withDaemonTolerations(user, false);
    expect(result).toHaveLength(7);
    expect(result[0]).toEqual({
      key: 'node.kubernetes.io/not-ready',
      operator: 'Exists',
      effect: 'NoExecute',
    });
    expect(result[1]).toEqual({ key: 'gpu', operator: 'Exists' });
    expect(withDaemonTolerations([], true).at(-1)?.key).toBe(
      'node.kubernetes.io/network-unavailable',
    );
  });

  it('pins with one matchFields term, and the target node is read back from it', () => {
    const spec: Record<string, unknown> = {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [] }],
          },
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1 }],
        },
      },
    };
    pinToNode(spec, 'worker2');
    const pod = { metadata: {}, spec } as KubeObject;
    expect(targetNodeName(pod)).toBe('worker2');
    expect(podMatchesNodeAffinity(pod, node('worker2'))).toBe(true);
    expect(podMatchesNodeAffinity(pod, node('worker3'))).toBe(false);
    expect(spec.affinity).toMatchObject({
      nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1 }] },
    });
  });
});
