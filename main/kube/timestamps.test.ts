import { describe, expect, it } from 'vitest';
import { shiftTimestamps } from './timestamps';

describe('shiftTimestamps', () => {
  const pod = Object.freeze({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web',
      creationTimestamp: '2026-01-01T00:10:00Z',
      labels: { at: '2026-01-01T00:10:00Z' },
      managedFields: [{ manager: 'kubectl', time: '2026-01-01T00:10:00Z' }],
    },
    spec: { containers: [{ name: 'c', image: 'nginx' }] },
    status: {
      startTime: '2026-01-01T00:10:01Z',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:10:02Z' }],
      containerStatuses: [{ name: 'c', state: { running: { startedAt: '2026-01-01T00:10:03Z' } } }],
    },
  });

  it('moves every Time field the schema names, and nothing else', () => {
    const shifted = shiftTimestamps(pod, 'io.k8s.api.core.v1.Pod', -300_000);
    expect(shifted.metadata.creationTimestamp).toBe('2026-01-01T00:05:00Z');
    expect(shifted.metadata.managedFields[0]!.time).toBe('2026-01-01T00:05:00Z');
    expect(shifted.metadata.labels.at).toBe('2026-01-01T00:10:00Z');
    expect(shifted.status.startTime).toBe('2026-01-01T00:05:01Z');
    expect(shifted.status.conditions[0]!.lastTransitionTime).toBe('2026-01-01T00:05:02Z');
    expect(shifted.status.containerStatuses[0]!.state.running.startedAt).toBe(
      '2026-01-01T00:05:03Z',
    );
    expect(shifted.spec).toBe(pod.spec);
    expect(pod.metadata.creationTimestamp).toBe('2026-01-01T00:10:00Z');
  });

  it('keeps MicroTime precision and leaves a zero shift alone', () => {
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'n' },
      spec: { renewTime: '2026-01-01T00:10:00.123456Z' },
    };
    const schema = 'io.k8s.api.coordination.v1.Lease';
    expect(shiftTimestamps(lease, schema, -1_000).spec.renewTime).toBe(
      '2026-01-01T00:09:59.123456Z',
    );
    expect(shiftTimestamps(lease, schema, 0)).toBe(lease);
  });
});
