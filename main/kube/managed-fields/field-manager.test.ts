import { describe, expect, it } from 'vitest';
import type { KubeObject, ManagedFieldsEntry } from '../objects';
import { StatusError } from '../status';
import {
  applyConfiguration,
  LAST_APPLIED_ANNOTATION,
  managerOrUserAgent,
  updateManagedFields,
} from './field-manager';

const DEPLOYMENT = 'io.k8s.api.apps.v1.Deployment';
const CONFIG_MAP = 'io.k8s.api.core.v1.ConfigMap';
const T0 = '2025-11-06T21:24:49Z';
const T1 = '2025-11-06T21:25:00Z';
const T2 = '2025-11-06T21:26:00Z';

/** What `kubectl create deployment nginx --image=nginx` stores once the server has defaulted it. */
function createdDeployment(): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'nginx', namespace: 'default', labels: { app: 'nginx' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'nginx' } },
      template: {
        metadata: { creationTimestamp: null, labels: { app: 'nginx' } },
        spec: {
          containers: [
            {
              name: 'nginx',
              image: 'nginx',
              resources: {},
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
              imagePullPolicy: 'Always',
            },
          ],
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 30,
          dnsPolicy: 'ClusterFirst',
          securityContext: {},
          schedulerName: 'default-scheduler',
        },
      },
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
      },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
    status: {},
  };
}

/** The managedFields a 1.30 apiserver gives that deployment (as `kubectl get -o yaml` shows it). */
const CREATED_FIELDS = {
  'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
  'f:spec': {
    'f:progressDeadlineSeconds': {},
    'f:replicas': {},
    'f:revisionHistoryLimit': {},
    'f:selector': {},
    'f:strategy': {
      'f:rollingUpdate': { '.': {}, 'f:maxSurge': {}, 'f:maxUnavailable': {} },
      'f:type': {},
    },
    'f:template': {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': {
        'f:containers': {
          'k:{"name":"nginx"}': {
            '.': {},
            'f:image': {},
            'f:imagePullPolicy': {},
            'f:name': {},
            'f:resources': {},
            'f:terminationMessagePath': {},
            'f:terminationMessagePolicy': {},
          },
        },
        'f:dnsPolicy': {},
        'f:restartPolicy': {},
        'f:schedulerName': {},
        'f:securityContext': {},
        'f:terminationGracePeriodSeconds': {},
      },
    },
  },
};

function withManaged(object: KubeObject, managedFields: ManagedFieldsEntry[] | undefined) {
  return { ...object, metadata: { ...object.metadata, managedFields } };
}

function create(object: KubeObject, manager: string, now = T0): KubeObject {
  const managedFields = updateManagedFields({
    live: undefined,
    next: object,
    schemaName: DEPLOYMENT,
    manager,
    apiVersion: 'apps/v1',
    now,
  });
  return withManaged(object, managedFields);
}

function apply(
  live: KubeObject | undefined,
  applied: Record<string, unknown>,
  manager: string,
  options: { force?: boolean; now?: string; schemaName?: string; apiVersion?: string } = {},
): KubeObject {
  return applyConfiguration({
    live,
    applied,
    schemaName: options.schemaName ?? DEPLOYMENT,
    manager,
    apiVersion: options.apiVersion ?? 'apps/v1',
    force: options.force ?? false,
    now: options.now ?? T1,
  }).object;
}

function applyError(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (error) {
    if (error instanceof StatusError) return error;
    throw error;
  }
  throw new Error('expected a StatusError');
}

function agentConfig(image: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'agent', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: {
        metadata: { labels: { app: 'agent' } },
        spec: { containers: [{ name: 'agent', image, ...extra }] },
      },
    },
  };
}

describe('updateManagedFields (create, update, patch)', () => {
  it('gives kubectl create deployment the managedFields a real apiserver gives it', () => {
    const entries = create(createdDeployment(), 'kubectl-create').metadata.managedFields;
    expect(entries).toEqual([
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: CREATED_FIELDS,
      },
    ]);
    // Key order as the apiserver writes it: entry fields in struct order, `.` last in a node.
    expect(JSON.stringify(entries![0])).toBe(
      '{"manager":"kubectl-create","operation":"Update","apiVersion":"apps/v1","time":"2025-11-06T21:24:49Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{"f:app":{},".":{}}},"f:spec":{"f:progressDeadlineSeconds":{},"f:replicas":{},"f:revisionHistoryLimit":{},"f:selector":{},"f:strategy":{"f:rollingUpdate":{"f:maxSurge":{},"f:maxUnavailable":{},".":{}},"f:type":{}},"f:template":{"f:metadata":{"f:labels":{"f:app":{},".":{}}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":{"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:resources":{},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{},".":{}}},"f:dnsPolicy":{},"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},"f:terminationGracePeriodSeconds":{}}}}}}',
    );
  });
});

describe('updateManagedFields: ownership moves with changes', () => {
  it('moves a changed field to the updater and stamps its time; unchanged fields stay put', () => {
    const live = create(createdDeployment(), 'kubectl-create');
    const next = structuredClone(live);
    (next.spec as { replicas: number }).replicas = 3;
    const entries = updateManagedFields({
      live,
      next,
      schemaName: DEPLOYMENT,
      manager: 'kubectl-scale',
      apiVersion: 'apps/v1',
      now: T1,
    });
    expect(entries!.map((e) => [e.manager, e.time])).toEqual([
      ['kubectl-create', T0],
      ['kubectl-scale', T1],
    ]);
    expect(entries![1]!.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
    expect(
      (entries![0]!.fieldsV1 as Record<string, Record<string, unknown>>)['f:spec'],
    ).not.toHaveProperty('f:replicas');
  });

  it('drops removed fields from every manager without touching the updater time', () => {
    const live = create(createdDeployment(), 'kubectl-create');
    const next = structuredClone(live);
    delete next.metadata.labels;
    const entries = updateManagedFields({
      live,
      next,
      schemaName: DEPLOYMENT,
      manager: 'kubectl-edit',
      apiVersion: 'apps/v1',
      now: T1,
    });
    expect(entries).toHaveLength(1);
    expect(entries![0]!.manager).toBe('kubectl-create');
    expect(entries![0]!.time).toBe(T0);
    expect(entries![0]!.fieldsV1).not.toHaveProperty('f:metadata');
  });

  it('records a status write under its subresource and ignores the spec it carries', () => {
    const live = create(createdDeployment(), 'kubectl-create');
    const next = structuredClone(live);
    const condition = (type: string, reason: string) => ({
      type,
      status: 'True',
      lastUpdateTime: T2,
      lastTransitionTime: T2,
      reason,
      message: 'ok',
    });
    next.status = {
      observedGeneration: 1,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      conditions: [
        condition('Available', 'MinimumReplicasAvailable'),
        condition('Progressing', 'NewReplicaSetAvailable'),
      ],
    };
    (next.spec as { replicas: number }).replicas = 7;
    const entries = updateManagedFields({
      live,
      next,
      schemaName: DEPLOYMENT,
      manager: 'kube-controller-manager',
      apiVersion: 'apps/v1',
      subresource: 'status',
      now: T2,
    });
    const conditionFields = {
      '.': {},
      'f:lastTransitionTime': {},
      'f:lastUpdateTime': {},
      'f:message': {},
      'f:reason': {},
      'f:status': {},
      'f:type': {},
    };
    expect(entries![1]).toEqual({
      manager: 'kube-controller-manager',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: T2,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:status': {
          'f:availableReplicas': {},
          'f:conditions': {
            '.': {},
            'k:{"type":"Available"}': conditionFields,
            'k:{"type":"Progressing"}': conditionFields,
          },
          'f:observedGeneration': {},
          'f:readyReplicas': {},
          'f:replicas': {},
          'f:updatedReplicas': {},
        },
      },
      subresource: 'status',
    });
    // The spec change is not the status writer's, and kubectl-create keeps replicas.
    expect(JSON.stringify(entries![0]!.fieldsV1)).toContain('"f:replicas":{}');
  });

  it('does not let a main-resource write own status', () => {
    const live = create(createdDeployment(), 'kubectl-create');
    const next = structuredClone(live);
    next.status = { replicas: 5 };
    const entries = updateManagedFields({
      live,
      next,
      schemaName: DEPLOYMENT,
      manager: 'kubectl-replace',
      apiVersion: 'apps/v1',
      now: T1,
    });
    expect(entries!.map((e) => e.manager)).toEqual(['kubectl-create']);
  });

  it('leaves an existing object without managedFields untracked, and tracks creates', () => {
    const untracked = createdDeployment();
    const next = structuredClone(untracked);
    (next.spec as { replicas: number }).replicas = 2;
    const options = { schemaName: DEPLOYMENT, manager: 'x', apiVersion: 'apps/v1', now: T1 };
    expect(updateManagedFields({ ...options, live: untracked, next })).toBeUndefined();
    expect(updateManagedFields({ ...options, live: undefined, next })).toHaveLength(1);
  });

  it('resets managedFields when the write sends an empty list, and keeps edited ones', () => {
    const live = create(createdDeployment(), 'kubectl-create');
    const options = { schemaName: DEPLOYMENT, manager: 'x', apiVersion: 'apps/v1', now: T1 };
    const reset = withManaged(live, []);
    expect(updateManagedFields({ ...options, live, next: reset })).toBeUndefined();
    const edited = withManaged(live, [
      {
        ...live.metadata.managedFields![0]!,
        manager: 'renamed',
        fieldsV1: { 'f:spec': { 'f:replicas': {} } },
      },
    ]);
    expect(updateManagedFields({ ...options, live, next: edited })).toEqual([
      {
        manager: 'renamed',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:spec': { 'f:replicas': {} } },
      },
    ]);
  });

  it('keeps at most ten Update managers, merging the oldest into ancient-changes', () => {
    let object = create(createdDeployment(), 'creator');
    for (let i = 1; i <= 11; i++) {
      const next = structuredClone(object);
      next.metadata.labels = { ...next.metadata.labels, [`l${i}`]: 'x' };
      const now = `2025-11-06T21:30:${String(i).padStart(2, '0')}Z`;
      const managedFields = updateManagedFields({
        live: object,
        next,
        schemaName: DEPLOYMENT,
        manager: `u${i}`,
        apiVersion: 'apps/v1',
        now,
      });
      object = withManaged(next, managedFields);
    }
    const entries = object.metadata.managedFields!;
    expect(entries.map((e) => `${e.manager}@${e.time}`)).toEqual([
      'ancient-changes@2025-11-06T21:30:02Z',
      ...[3, 4, 5, 6, 7, 8, 9, 10, 11].map(
        (i) => `u${i}@2025-11-06T21:30:${String(i).padStart(2, '0')}Z`,
      ),
    ]);
    const ancient = entries[0]!.fieldsV1 as Record<string, Record<string, Record<string, unknown>>>;
    expect(Object.keys(ancient['f:metadata']!['f:labels']!)).toEqual([
      'f:app',
      'f:l1',
      'f:l2',
      '.',
    ]);
    expect(ancient).toHaveProperty(['f:spec', 'f:replicas']);
  });

  it('keeps the live managedFields when the new object cannot be walked', () => {
    const live = create(createdDeployment(), 'kubectl-create');
    const next = structuredClone(live);
    (next.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers.push(
      'not-a-container',
    );
    expect(
      updateManagedFields({
        live,
        next,
        schemaName: DEPLOYMENT,
        manager: 'x',
        apiVersion: 'apps/v1',
        now: T1,
      }),
    ).toEqual(live.metadata.managedFields);
  });
});

describe('applyConfiguration', () => {
  it('creates with the Apply entry holding exactly the applied fields', () => {
    const object = apply(undefined, agentConfig('busybox:1.36'), 'kubectl');
    expect(object.metadata.managedFields).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: T1,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:spec': {
            'f:selector': {},
            'f:template': {
              'f:metadata': { 'f:labels': { 'f:app': {} } },
              'f:spec': {
                'f:containers': {
                  'k:{"name":"agent"}': { '.': {}, 'f:image': {}, 'f:name': {} },
                },
              },
            },
          },
        },
      },
    ]);
    expect(object.spec).toEqual((agentConfig('busybox:1.36') as { spec: unknown }).spec);
  });

  it('matches the server-side apply documentation example for a ConfigMap', () => {
    const object = apply(
      undefined,
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'test-cm', namespace: 'default', labels: { 'test-label': 'test' } },
        data: { key: 'some value' },
      },
      'kubectl',
      { schemaName: CONFIG_MAP, apiVersion: 'v1' },
    );
    expect(object.metadata.managedFields![0]!.fieldsV1).toEqual({
      'f:data': { 'f:key': {} },
      'f:metadata': { 'f:labels': { 'f:test-label': {} } },
    });
  });

  it('fails on a field another manager set to another value, with the apiserver wording', () => {
    const live = create(
      { ...agentConfig('busybox:1.36'), metadata: { name: 'agent', namespace: 'default' } },
      'kubectl-client-side-apply',
    );
    const error = applyError(() => apply(live, agentConfig('busybox:1.37'), 'kubectl'));
    expect(error.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.template.spec.containers[name="agent"].image',
      reason: 'Conflict',
      details: {
        causes: [
          {
            reason: 'FieldManagerConflict',
            message: 'conflict with "kubectl-client-side-apply" using apps/v1',
            field: '.spec.template.spec.containers[name="agent"].image',
          },
        ],
      },
      code: 409,
    });
    expect(JSON.stringify(error.status)).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Apply failed with 1 conflict: conflict with \\"kubectl-client-side-apply\\" using apps/v1: .spec.template.spec.containers[name=\\"agent\\"].image","reason":"Conflict","details":{"causes":[{"reason":"FieldManagerConflict","message":"conflict with \\"kubectl-client-side-apply\\" using apps/v1","field":".spec.template.spec.containers[name=\\"agent\\"].image"}]},"code":409}',
    );
  });

  it('lists several conflicts grouped by manager', () => {
    let live = create(
      { ...agentConfig('busybox:1.36'), metadata: { name: 'agent', namespace: 'default' } },
      'kubectl-create',
    );
    const withReplicas = agentConfig('busybox:1.36');
    (withReplicas.spec as Record<string, unknown>).replicas = 3;
    live = apply(live, { ...withReplicas, spec: { replicas: 3 } }, 'other-applier');
    const wanted = agentConfig('busybox:1.37', { ports: [{ containerPort: 80 }] });
    (wanted.spec as Record<string, unknown>).replicas = 5;
    const error = applyError(() => apply(live, wanted, 'ci'));
    expect(error.status.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "kubectl-create" using apps/v1:\n' +
        '- .spec.template.spec.containers[name="agent"].image\n' +
        'conflicts with "other-applier":\n' +
        '- .spec.replicas',
    );
    expect(error.status.details?.causes).toEqual([
      {
        reason: 'FieldManagerConflict',
        message: 'conflict with "kubectl-create" using apps/v1',
        field: '.spec.template.spec.containers[name="agent"].image',
      },
      {
        reason: 'FieldManagerConflict',
        message: 'conflict with "other-applier"',
        field: '.spec.replicas',
      },
    ]);
  });

  it('shares fields applied with the same value, and force takes them', () => {
    const first = apply(undefined, agentConfig('busybox:1.36'), 'team-a');
    const shared = apply(first, agentConfig('busybox:1.36'), 'team-b', { now: T2 });
    const image = (o: KubeObject) =>
      o.metadata.managedFields!.map((e) => [
        e.manager,
        JSON.stringify(e.fieldsV1).includes('"f:image"'),
      ]);
    // Nothing changed, so team-b's new entry has no time, which sorts it first (as time 0).
    expect(image(shared)).toEqual([
      ['team-b', true],
      ['team-a', true],
    ]);
    expect(shared.metadata.managedFields!.map((e) => e.time)).toEqual([undefined, T1]);

    const forced = apply(shared, agentConfig('busybox:1.37'), 'team-c', { force: true, now: T2 });
    expect(image(forced)).toEqual([
      ['team-b', false],
      ['team-a', false],
      ['team-c', true],
    ]);
    const containers = (forced.spec as { template: { spec: { containers: { image: string }[] } } })
      .template.spec.containers;
    expect(containers[0]!.image).toBe('busybox:1.37');
  });

  it('removes a field the manager stops applying, unless another manager owns it', () => {
    const config = agentConfig('busybox:1.36');
    (config.spec as Record<string, unknown>).replicas = 3;
    const first = apply(undefined, config, 'team-a');
    const withoutReplicas = agentConfig('busybox:1.36');

    const alone = apply(first, withoutReplicas, 'team-a', { now: T2 });
    expect(alone.spec).not.toHaveProperty('replicas');
    expect(JSON.stringify(alone.metadata.managedFields)).not.toContain('f:replicas');

    const sharedWithB = apply(first, { ...config, spec: { replicas: 3 } }, 'team-b');
    const kept = apply(sharedWithB, withoutReplicas, 'team-a', { now: T2 });
    expect((kept.spec as { replicas: number }).replicas).toBe(3);
    expect(
      kept.metadata.managedFields!.map((e) => [
        e.manager,
        JSON.stringify(e.fieldsV1).includes('f:replicas'),
      ]),
    ).toEqual([
      ['team-b', true],
      ['team-a', false],
    ]);
  });

  it('removes associative list items the manager stops applying', () => {
    const both = agentConfig('busybox:1.36');
    const spec = (both.spec as { template: { spec: { containers: unknown[] } } }).template.spec;
    spec.containers.push({ name: 'sidecar', image: 'envoy:1' });
    const first = apply(undefined, both, 'team-a');
    const second = apply(first, agentConfig('busybox:1.36'), 'team-a', { now: T2 });
    const containers = (second.spec as { template: { spec: { containers: { name: string }[] } } })
      .template.spec.containers;
    expect(containers.map((c) => c.name)).toEqual(['agent']);
    expect(JSON.stringify(second.metadata.managedFields)).not.toContain('sidecar');
    expect(second.metadata.managedFields![0]!.time).toBe(T2);
  });

  it('keeps list items another manager added, merged in configuration order', () => {
    const first = apply(undefined, agentConfig('busybox:1.36'), 'team-a');
    const next = structuredClone(first);
    const spec = (next.spec as { template: { spec: { containers: unknown[] } } }).template.spec;
    spec.containers.unshift({ name: 'injected', image: 'proxy:1' });
    const updated = withManaged(
      next,
      updateManagedFields({
        live: first,
        next,
        schemaName: DEPLOYMENT,
        manager: 'injector',
        apiVersion: 'apps/v1',
        now: T2,
      }),
    );
    const again = apply(updated, agentConfig('busybox:1.37'), 'team-a', { now: T2 });
    const names = (
      again.spec as { template: { spec: { containers: { name: string; image: string }[] } } }
    ).template.spec.containers;
    expect(names).toEqual([
      { name: 'injected', image: 'proxy:1' },
      { name: 'agent', image: 'busybox:1.37' },
    ]);
  });

  it('owns existing fields as before-first-apply when the object has no managedFields', () => {
    const live = {
      ...agentConfig('busybox:1.36'),
      metadata: { name: 'agent', namespace: 'default' },
    };
    const error = applyError(() => apply(live as KubeObject, agentConfig('busybox:1.37'), 'ci'));
    expect(error.status.message).toBe(
      'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.template.spec.containers[name="agent"].image',
    );
    const applied = apply(live as KubeObject, agentConfig('busybox:1.36'), 'ci');
    expect(applied.metadata.managedFields!.map((e) => [e.manager, e.operation])).toEqual([
      ['ci', 'Apply'],
      ['before-first-apply', 'Update'],
    ]);
  });

  it('lets kubectl take over fields matching the client-side last-applied annotation', () => {
    const config = agentConfig('busybox:1.36');
    const lastApplied = `${JSON.stringify(config)}\n`;
    const live = create(
      {
        ...config,
        metadata: {
          name: 'agent',
          namespace: 'default',
          annotations: { [LAST_APPLIED_ANNOTATION]: lastApplied },
        },
      } as KubeObject,
      'kubectl-client-side-apply',
    );
    const upgraded = apply(live, agentConfig('busybox:1.37'), 'kubectl');
    expect(upgraded.metadata.managedFields!.map((e) => e.manager)).toEqual([
      'kubectl',
      'kubectl-client-side-apply',
    ]);
    expect(upgraded.metadata.annotations![LAST_APPLIED_ANNOTATION]).toBe(
      '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"agent","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"agent"}},"template":{"metadata":{"labels":{"app":"agent"}},"spec":{"containers":[{"image":"busybox:1.37","name":"agent"}]}}}}\n',
    );
    // Another manager gets no such pass.
    expect(applyError(() => apply(live, agentConfig('busybox:1.37'), 'other')).code).toBe(409);
  });

  it('reports a no-op apply as unchanged and keeps the time', () => {
    const first = apply(undefined, agentConfig('busybox:1.36'), 'team-a');
    const result = applyConfiguration({
      live: first,
      applied: agentConfig('busybox:1.36'),
      schemaName: DEPLOYMENT,
      manager: 'team-a',
      apiVersion: 'apps/v1',
      force: false,
      now: T2,
    });
    expect(result.changed).toBe(false);
    expect(result.object).toEqual(first);
  });

  it('rejects configurations upstream rejects, with its messages', () => {
    const wrongKind = { ...agentConfig('x'), kind: 'DaemonSet' };
    const bad = applyError(() => apply(undefined, wrongKind, 'ci'));
    expect([bad.code, bad.status.reason, bad.message]).toEqual([
      400,
      'BadRequest',
      'invalid object type: apps/v1, Kind=DaemonSet',
    ]);
    const withManaged = agentConfig('x');
    (withManaged.metadata as Record<string, unknown>).managedFields = [];
    expect(applyError(() => apply(undefined, withManaged, 'ci')).message).toBe(
      'metadata.managedFields must be nil',
    );
    const unknown = agentConfig('x');
    (unknown.spec as Record<string, unknown>).replica = 2;
    const plain = applyError(() => apply(undefined, unknown, 'ci'));
    expect([plain.code, plain.status.reason, plain.message]).toEqual([
      500,
      undefined,
      'failed to create typed patch object (default/agent; apps/v1, Kind=Deployment): .spec.replica: field not declared in schema',
    ]);
    const dup = agentConfig('x');
    const containers = (dup.spec as { template: { spec: { containers: unknown[] } } }).template.spec
      .containers;
    containers.push({ name: 'agent', image: 'y' }, { image: 'z' });
    expect(applyError(() => apply(undefined, dup, 'ci')).message).toBe(
      'failed to create typed patch object (default/agent; apps/v1, Kind=Deployment): errors:\n' +
        '  .spec.template.spec.containers: duplicate entries for key [name="agent"]\n' +
        '  .spec.template.spec.containers: element 2: associative list with keys has an element that omits key field "name" (and doesn\'t have default value)',
    );
  });

  it('keeps Apply entries per subresource and names the subresource in conflicts', () => {
    const live = create(createdDeployment(), 'kubectl-create');
    const statusConfig = (replicas: number) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'nginx', namespace: 'default' },
      status: { replicas },
    });
    const status = (
      object: KubeObject | undefined,
      config: Record<string, unknown>,
      force = false,
    ) =>
      applyConfiguration({
        live: object,
        applied: config,
        schemaName: DEPLOYMENT,
        manager: 'status-writer',
        apiVersion: 'apps/v1',
        subresource: 'status',
        force,
        now: T1,
      }).object;
    const applied = status(live, statusConfig(2));
    expect(applied.metadata.managedFields![0]).toEqual({
      manager: 'status-writer',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: T1,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:status': { 'f:replicas': {} } },
      subresource: 'status',
    });
    const next = structuredClone(applied);
    (next.status as { replicas: number }).replicas = 3;
    const taken = withManaged(
      next,
      updateManagedFields({
        live: applied,
        next,
        schemaName: DEPLOYMENT,
        manager: 'kcm',
        apiVersion: 'apps/v1',
        subresource: 'status',
        now: T2,
      }),
    );
    expect(applyError(() => status(taken, statusConfig(5))).message).toBe(
      'Apply failed with 1 conflict: conflict with "kcm" with subresource "status" using apps/v1: .status.replicas',
    );
  });

  it('keys ports by containerPort and the defaulted protocol', () => {
    const object = apply(undefined, agentConfig('x', { ports: [{ containerPort: 80 }] }), 'ci');
    expect(JSON.stringify(object.metadata.managedFields![0]!.fieldsV1)).toContain(
      '"f:ports":{"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{"f:containerPort":{},".":{}}}',
    );
  });
});

describe('managerOrUserAgent', () => {
  it('takes the fieldManager, else the User-Agent before its first slash', () => {
    expect(managerOrUserAgent('ci', 'kubectl/v1.30.0')).toBe('ci');
    expect(managerOrUserAgent(undefined, 'kubectl/v1.30.0 (linux/amd64) kubernetes/abc')).toBe(
      'kubectl',
    );
    expect(managerOrUserAgent('', 'x'.repeat(200))).toHaveLength(128);
  });
});

describe('cost', () => {
  function container(i: number, envs: number) {
    return {
      name: `c${i}`,
      image: `registry.example.com/app/c${i}:1.2.${i}`,
      args: ['--port=8080'],
      ports: [{ containerPort: 8080 + i, name: `http${i}` }],
      env: Array.from({ length: envs }, (_, j) => ({ name: `ENV_${j}`, value: `v${j}` })),
      resources: { limits: { cpu: '500m' }, requests: { cpu: '100m' } },
      volumeMounts: [{ name: 'data', mountPath: `/data/${i}` }],
      livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10 },
    };
  }
  function big(containers: number, envs: number, image: string): Record<string, unknown> {
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'big', namespace: 'default', labels: { app: 'big' } },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'big' } },
        template: {
          metadata: { labels: { app: 'big' }, annotations: { image } },
          spec: {
            containers: Array.from({ length: containers }, (_, i) => container(i, envs)),
            volumes: [{ name: 'data', emptyDir: {} }],
          },
        },
      },
    };
  }

  it('applies a 300-line Deployment in about a millisecond', () => {
    const live = apply(undefined, big(4, 8, 'a'), 'ci');
    const run = () => apply(live, big(4, 8, 'b'), 'ci', { now: T2 });
    for (let i = 0; i < 30; i++) run();
    const start = performance.now();
    for (let i = 0; i < 50; i++) run();
    // Well under 1 ms on a developer machine; the bound only catches pathological regressions.
    expect((performance.now() - start) / 50).toBeLessThan(20);
  });

  it('stays linear on lists of thousands of items, pruning included', () => {
    const time = (n: number) => {
      const live = apply(undefined, big(1, n, 'a'), 'ci');
      const next = structuredClone(live);
      (next.spec as { replicas: number }).replicas = 4;
      const start = performance.now();
      apply(live, big(1, n - 1, 'b'), 'ci', { now: T2 });
      updateManagedFields({
        live,
        next,
        schemaName: DEPLOYMENT,
        manager: 'x',
        apiVersion: 'apps/v1',
        now: T2,
      });
      return performance.now() - start;
    };
    time(200);
    expect(time(4000)).toBeLessThan(2000);
  });
});
