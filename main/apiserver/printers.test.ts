import { describe, expect, it } from 'vitest';
import { cellsAt, humanDuration, nodeRoles, nodeStatusText, printerFor } from './printers';

describe('printers', () => {
  it('formats ages like duration.HumanDuration', () => {
    const cases: Array<[number, string]> = [
      [0, '0s'],
      [-1500, '0s'],
      [-2500, '<invalid>'],
      [119_000, '119s'],
      [120_000, '2m'],
      [125_000, '2m5s'],
      [600_000, '10m'],
      [179 * 60_000, '179m'],
      [185 * 60_000, '3h5m'],
      [8 * 3_600_000, '8h'],
      [47 * 3_600_000, '47h'],
      [51 * 3_600_000, '2d3h'],
      [8 * 86_400_000, '8d'],
      [729 * 86_400_000, '729d'],
      [731 * 86_400_000, '2y1d'],
      [8 * 365 * 86_400_000, '8y'],
    ];
    for (const [ms, text] of cases) expect(humanDuration(ms), `${ms} ms`).toBe(text);
  });

  it('derives node roles and status', () => {
    expect(
      nodeRoles({
        'node-role.kubernetes.io/control-plane': '',
        'node-role.kubernetes.io/master': '',
      }),
    ).toBe('control-plane,master');
    expect(nodeRoles({ 'kubernetes.io/role': 'worker' })).toBe('worker');
    expect(nodeRoles({})).toBe('<none>');
    expect(
      nodeStatusText({
        status: { conditions: [{ type: 'Ready', status: 'True' }] },
        spec: { unschedulable: true },
      }),
    ).toBe('Ready,SchedulingDisabled');
    expect(nodeStatusText({ status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } })).toBe(
      'NotReady',
    );
    expect(nodeStatusText({})).toBe('Unknown');
  });

  it('prints pod status reasons from container states', () => {
    const now = Date.parse('2026-01-01T00:10:00Z');
    const pod = (status: Record<string, unknown>, metadata: Record<string, unknown> = {}) => ({
      metadata: { name: 'p', creationTimestamp: '2026-01-01T00:00:00Z', ...metadata },
      spec: { containers: [{ name: 'c' }], nodeName: 'n1' },
      status,
    });
    const cells = (status: Record<string, unknown>, metadata?: Record<string, unknown>) =>
      cellsAt(printerFor('/pods'), pod(status, metadata), now);
    expect(
      cells({
        phase: 'Pending',
        containerStatuses: [
          { name: 'c', restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } },
        ],
      }).slice(0, 5),
    ).toEqual(['p', '0/1', 'ContainerCreating', '0', '10m']);
    expect(
      cells({
        phase: 'Running',
        podIPs: [{ ip: '10.244.1.5' }],
        containerStatuses: [
          {
            name: 'c',
            ready: true,
            restartCount: 2,
            state: { running: {} },
            lastState: { terminated: { finishedAt: '2026-01-01T00:08:00Z' } },
          },
        ],
      }),
    ).toEqual(['p', '1/1', 'Running', '2 (2m ago)', '10m', '10.244.1.5', 'n1', '<none>', '<none>']);
    expect(cells({ phase: 'Running' }, { deletionTimestamp: '2026-01-01T00:10:00Z' })[2]).toBe(
      'Terminating',
    );
    expect(
      cells({
        phase: 'Pending',
        containerStatuses: [
          { name: 'c', restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } },
        ],
      })[2],
    ).toBe('ImagePullBackOff');
  });

  it('uses Name and Created At for kinds without a printer', () => {
    const printer = printerFor('nothing/here');
    expect(printer.columns.map((c) => [c.name, c.type])).toEqual([
      ['Name', 'string'],
      ['Created At', 'date'],
    ]);
  });
});
