import { describe, expect, it } from 'vitest';
import { deepFreeze, type KubeObject } from '../../kube/objects';
import { ObjectJson } from './json-cache';
import { toTableJson, type TableOptions } from './tables';

const created = Date.parse('2026-01-01T00:00:00Z');

function options(now: number): TableOptions {
  return { version: 'v1', include: 'None', noHeaders: true, now, json: new ObjectJson() };
}

function rows(objects: KubeObject[], now: number): unknown[] {
  const table = JSON.parse(toTableJson('/pods', objects, {}, options(now)).text) as {
    rows: Array<{ cells: unknown[] }>;
  };
  return table.rows.map((row) => row.cells);
}

/** A pod whose container restarted; frozen as stored objects are. */
function restartedPod(name: string): KubeObject {
  return deepFreeze({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { nodeName: 'lab-worker', containers: [{ name: 'c', image: 'busybox' }] },
    status: {
      phase: 'Running',
      podIPs: [{ ip: '10.244.1.7' }],
      containerStatuses: [
        {
          name: 'c',
          ready: true,
          restartCount: 2,
          state: { running: { startedAt: '2026-01-01T00:04:00Z' } },
          lastState: { terminated: { exitCode: 1, finishedAt: '2026-01-01T00:03:00Z' } },
        },
      ],
    },
  });
}

describe('table rows', () => {
  it('renders ages at the time of each request, also for rows computed before', () => {
    const pod = restartedPod('web');
    const row = (now: number): unknown[] => rows([pod], now)[0] as unknown[];
    expect(row(created + 5 * 60_000)).toEqual([
      'web',
      '1/1',
      'Running',
      '2 (2m ago)',
      '5m',
      '10.244.1.7',
      'lab-worker',
      '<none>',
      '<none>',
    ]);
    // The same stored object later: only the durations move.
    expect(row(created + 3 * 3_600_000).slice(0, 5)).toEqual([
      'web',
      '1/1',
      'Running',
      '2 (177m ago)',
      '3h',
    ]);
  });

  it('a changed object is a new stored object: its row is computed again', () => {
    const before = restartedPod('web');
    const after = deepFreeze({
      ...before,
      metadata: { ...before.metadata, deletionTimestamp: '2026-01-01T00:06:00Z' },
    });
    const now = created + 10 * 60_000;
    expect((rows([before], now)[0] as unknown[])[2]).toBe('Running');
    expect((rows([after], now)[0] as unknown[])[2]).toBe('Terminating');
    expect((rows([before], now)[0] as unknown[])[2]).toBe('Running');
  });
});
