import { describe, expect, it } from 'vitest';
import type { KubeObject } from './objects';
import {
  controllerOf,
  isPodAvailable,
  isPodReady,
  isPodTerminal,
  isPodTerminating,
  podPhase,
} from './pods';

const pod = (status: unknown, metadata: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  metadata: { name: 'p', ...metadata },
  status,
});

describe('pod helpers (pkg/api/v1/pod)', () => {
  const readySince = (time: string) =>
    pod({
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: time }],
    });

  it('IsPodReady and IsPodAvailable with minReadySeconds', () => {
    const now = Date.parse('2025-01-01T00:01:00Z');
    const p = readySince('2025-01-01T00:00:30Z');
    expect(isPodReady(p)).toBe(true);
    expect(isPodAvailable(p, 0, now)).toBe(true);
    expect(isPodAvailable(p, 20, now)).toBe(true);
    expect(isPodAvailable(p, 30, now)).toBe(false);
    expect(isPodReady(pod({ conditions: [{ type: 'Ready', status: 'False' }] }))).toBe(false);
    expect(isPodReady(pod({ conditions: 'junk' }))).toBe(false);
  });

  it('phases, terminal and terminating pods', () => {
    expect(podPhase(pod({}))).toBe('');
    expect(isPodTerminal(pod({ phase: 'Failed' }))).toBe(true);
    expect(isPodTerminal(pod({ phase: 'Running' }))).toBe(false);
    expect(isPodTerminating(pod({}, { deletionTimestamp: '2025-01-01T00:00:00Z' }))).toBe(true);
  });

  it('GetControllerOf: the reference with controller: true', () => {
    const owner = { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'a', uid: 'u' };
    expect(controllerOf(pod({}, { ownerReferences: [owner] }))).toBeUndefined();
    expect(
      controllerOf(pod({}, { ownerReferences: [owner, { ...owner, controller: true }] })),
    ).toEqual({ ...owner, controller: true });
  });
});
