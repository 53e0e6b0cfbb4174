// The kubelab.dev/v1alpha1 simulator controls, driven by the real kubectl: the Clock (pace,
// advance) and one Kubelet per node, served beside the Kubernetes groups.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalize, startTestCluster, type TestCluster } from '../support/cluster';

let lab: TestCluster;

beforeAll(async () => {
  lab = await startTestCluster({ workers: 2 });
});

afterAll(async () => {
  await lab?.stop();
});

async function ok(args: string[]): Promise<string> {
  const result = await lab.kubectl(args);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}

async function fails(args: string[]): Promise<string> {
  const result = await lab.kubectl(args);
  expect(result.code).not.toBe(0);
  return result.stderr;
}

describe('simulator controls (kubelab.dev/v1alpha1)', () => {
  it('are listed by api-resources and read through the kubelab category', async () => {
    expect(await ok(['api-resources', '--api-group=kubelab.dev'])).toBe(
      [
        'NAME        SHORTNAMES   APIVERSION             NAMESPACED   KIND',
        'clocks                   kubelab.dev/v1alpha1   false        Clock',
        'kubelets                 kubelab.dev/v1alpha1   false        Kubelet',
        'snapshots                kubelab.dev/v1alpha1   false        Snapshot',
        '',
      ].join('\n'),
    );
    await expect(normalize(await ok(['get', 'kubelab']))).toMatchFileSnapshot(
      'goldens/get-kubelab.txt',
    );
  });

  it('explain prints the documentation of the simulator types', async () => {
    await expect(await ok(['explain', 'clock.spec'])).toMatchFileSnapshot(
      'goldens/explain-clock-spec.txt',
    );
  });

  it('the clock pace is changed with a merge patch and validated', async () => {
    const pace = (value: string): string[] => [
      'patch',
      'clock',
      'cluster',
      '--type=merge',
      '-p',
      `{"spec":{"pace":"${value}"}}`,
    ];
    expect(await ok(pace('Realistic'))).toBe('clock.kubelab.dev/cluster patched\n');
    expect(await ok(['get', 'clock', 'cluster', '-o', 'jsonpath={.spec.pace}'])).toBe('Realistic');
    expect(await ok(pace('Instant'))).toBe('clock.kubelab.dev/cluster patched\n');
    expect(
      await fails(['patch', 'clock', 'cluster', '--type=merge', '-p', '{"spec":{"pace":"Fast"}}']),
    ).toBe(
      'The Clock "cluster" is invalid: spec.pace: Unsupported value: "Fast": supported values: "Instant", "Realistic"\n',
    );
    // Like a custom resource, the clock takes no strategic merge patch (kubectl's wording).
    expect(await fails(['patch', 'clock', 'cluster', '-p', '{"spec":{"pace":"Realistic"}}'])).toBe(
      'error: application/strategic-merge-patch+json is not supported by kubelab.dev/v1alpha1, Kind=Clock: the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml\n',
    );
  });

  it('advancing the clock ages every timestamp the cluster shows', async () => {
    await ok(['create', 'namespace', 'before']);
    const created = await ok([
      'get',
      'namespace',
      'before',
      '-o',
      'jsonpath={.metadata.creationTimestamp}',
    ]);
    const body = await lab.file(
      'advance.json',
      JSON.stringify({ apiVersion: 'kubelab.dev/v1alpha1', kind: 'ClockAdvance', duration: '5m' }),
    );
    const answer = JSON.parse(
      await ok([
        'create',
        '--raw',
        '/apis/kubelab.dev/v1alpha1/clocks/cluster/advance',
        '-f',
        body,
      ]),
    ) as { kind: string; status: { advancedSeconds: number } };
    expect(answer.kind).toBe('Clock');
    expect(answer.status.advancedSeconds).toBe(300);
    const aged = await ok([
      'get',
      'namespace',
      'before',
      '-o',
      'jsonpath={.metadata.creationTimestamp}',
    ]);
    expect(Date.parse(created) - Date.parse(aged)).toBe(300_000);
    expect(await ok(['get', 'namespace', 'before', '--no-headers'])).toMatch(
      /^before\s+Active\s+5m\n$/,
    );
    // An object made after the advance is new.
    await ok(['create', 'namespace', 'after']);
    expect(await ok(['get', 'namespace', 'after', '--no-headers'])).toMatch(
      /^after\s+Active\s+0s\n$/,
    );
    expect(await ok(['get', 'clock'])).toMatch(
      /^NAME\s+PACE\s+ADVANCED\s+AGE\ncluster\s+\S+\s+5m\s+5m\n$/,
    );
    const bad = await lab.file(
      'bad.json',
      JSON.stringify({ apiVersion: 'kubelab.dev/v1alpha1', kind: 'ClockAdvance', duration: '5d' }),
    );
    expect(
      await fails([
        'create',
        '--raw',
        '/apis/kubelab.dev/v1alpha1/clocks/cluster/advance',
        '-f',
        bad,
      ]),
    ).toBe(
      'The ClockAdvance "cluster" is invalid: duration: Invalid value: "5d": time: unknown unit "d" in duration "5d"\n',
    );
  });

  it('each node has a kubelet, running', async () => {
    expect(normalize(await ok(['get', 'kubelets']))).toBe(
      [
        'NAME                DESIRED   STATE     AGE',
        'lab-control-plane   Running   Running   <age>',
        'lab-worker          Running   Running   <age>',
        'lab-worker2         Running   Running   <age>',
        '',
      ].join('\n'),
    );
  });

  it('a snapshot saves the cluster and restoring it puts everything back', async () => {
    await ok(['create', 'namespace', 'keep']);
    await ok(['create', 'configmap', 'settings', '-n', 'keep', '--from-literal=mode=one']);
    const snapshot = await lab.file(
      'snapshot.yaml',
      'apiVersion: kubelab.dev/v1alpha1\nkind: Snapshot\nmetadata:\n  name: base\n',
    );
    expect(await ok(['create', '-f', snapshot])).toBe('snapshot.kubelab.dev/base created\n');
    const uid = await ok([
      'get',
      'configmap',
      'settings',
      '-n',
      'keep',
      '-o',
      'jsonpath={.metadata.uid}',
    ]);
    // Change the cluster: a new namespace, a deleted ConfigMap, a changed label.
    await ok(['create', 'namespace', 'scratch']);
    await ok(['delete', 'configmap', 'settings', '-n', 'keep']);
    await ok(['label', 'namespace', 'keep', 'changed=yes']);
    const restore = await lab.file(
      'restore.json',
      '{"apiVersion":"kubelab.dev/v1alpha1","kind":"SnapshotRestore"}',
    );
    await ok([
      'create',
      '--raw',
      '/apis/kubelab.dev/v1alpha1/snapshots/base/restore',
      '-f',
      restore,
    ]);
    expect((await lab.kubectl(['get', 'namespace', 'scratch'])).stderr).toBe(
      'Error from server (NotFound): namespaces "scratch" not found\n',
    );
    expect(
      await ok([
        'get',
        'configmap',
        'settings',
        '-n',
        'keep',
        '-o',
        'jsonpath={.metadata.uid} {.data.mode}',
      ]),
    ).toBe(`${uid} one`);
    expect(
      await ok(['get', 'namespace', 'keep', '-o', 'jsonpath={.metadata.labels.changed}']),
    ).toBe('');
    expect(
      Number(await ok(['get', 'snapshot', 'base', '-o', 'jsonpath={.status.objects}'])),
    ).toBeGreaterThan(20);
    expect(normalize(await ok(['get', 'snapshots']))).toMatch(
      /^NAME\s+OBJECTS\s+AGE\nbase\s+\d+\s+<age>\n$/,
    );
  });
});
