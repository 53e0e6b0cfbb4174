import { describe, expect, it } from 'vitest';
import { schemaNamed } from '../schema';
import { FieldSet } from './field-set';
import { GO_VALUE_FIELDS, goShape, goZeroValue } from './go-shape';
import { fieldElement, pathString, type Path } from './path';
import { RESET_FIELDS } from './reset-fields';
import { ATOMIC_MAP_FIELDS, ATOMIC_STRUCTS, KEY_DEFAULTS, LIST_OVERRIDES } from './schema-types';
import {
  compare,
  ensureNamedFieldsAreMembers,
  merge,
  removeItems,
  toFieldSet,
  typeOfSchema,
  validate,
} from './typed';

const DEPLOYMENT = typeOfSchema('io.k8s.api.apps.v1.Deployment');
const POD = typeOfSchema('io.k8s.api.core.v1.Pod');
const REVISION = typeOfSchema('io.k8s.api.apps.v1.ControllerRevision');

function paths(set: FieldSet): string[] {
  return set.paths().map(pathString);
}

function of(...list: string[]): FieldSet {
  return FieldSet.of(...list.map((p): Path => p.split('.').map(fieldElement)));
}

describe('toFieldSet', () => {
  it('owns leaves, list items and map entries, and atomic values whole', () => {
    const pod = {
      metadata: {
        labels: { app: 'web' },
        finalizers: ['a/b', 'c'],
        ownerReferences: [{ uid: 'u1', kind: 'ReplicaSet', name: 'rs', apiVersion: 'apps/v1' }],
      },
      spec: {
        nodeSelector: { disk: 'ssd' },
        tolerations: [{ key: 'k', operator: 'Exists' }],
        securityContext: {},
        hostname: null,
        containers: [
          { name: 'web', image: 'nginx', ports: [{ containerPort: 80 }], resources: {} },
        ],
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: {} } },
      },
    };
    expect(paths(toFieldSet(pod, POD))).toEqual([
      '.metadata.finalizers[="a/b"]',
      '.metadata.finalizers[="c"]',
      '.metadata.labels.app',
      '.metadata.ownerReferences[uid="u1"]',
      '.spec.hostname',
      '.spec.nodeSelector',
      '.spec.tolerations',
      '.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution',
      '.spec.containers[name="web"]',
      '.spec.containers[name="web"].image',
      '.spec.containers[name="web"].name',
      '.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"]',
      '.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"].containerPort',
    ]);
  });

  it('uses the v1.30 list markers our schemas lack', () => {
    const pod = {
      spec: { containers: [{ name: 'a', resources: { claims: [{ name: 'gpu' }] } }] },
      status: { hostIPs: [{ ip: '10.0.0.1' }], podIPs: [{ ip: '10.1.0.1' }] },
    };
    expect(paths(toFieldSet(pod, POD))).toEqual([
      '.spec.containers[name="a"]',
      '.spec.containers[name="a"].name',
      '.spec.containers[name="a"].resources.claims[name="gpu"]',
      '.spec.containers[name="a"].resources.claims[name="gpu"].name',
      '.status.hostIPs',
      '.status.podIPs[ip="10.1.0.1"]',
      '.status.podIPs[ip="10.1.0.1"].ip',
    ]);
  });

  it('owns the keys of schemaless values (RawExtension) one by one', () => {
    const revision = { data: { spec: { template: { x: [1, 2] } } }, revision: 1 };
    expect(paths(toFieldSet(revision, REVISION))).toEqual([
      '.revision',
      '.data.spec',
      '.data.spec.template',
      '.data.spec.template.x',
    ]);
  });
});

describe('compare', () => {
  it('reports added nodes themselves, modified leaves and removed items with their fields', () => {
    const live = {
      spec: {
        replicas: 1,
        selector: null,
        template: {
          spec: {
            containers: [
              { name: 'a', image: 'x:1', args: ['--v=1'] },
              { name: 'b', image: 'y:1' },
            ],
          },
        },
      },
    };
    const next = {
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'a' } },
        strategy: { rollingUpdate: { maxSurge: 1 } },
        template: {
          metadata: { labels: { app: 'a' } },
          spec: { containers: [{ name: 'a', image: 'x:1', args: ['--v=2'] }] },
        },
      },
    };
    const c = compare(live, next, DEPLOYMENT);
    expect(paths(c.added)).toEqual([
      '.spec.strategy',
      '.spec.strategy.rollingUpdate',
      '.spec.strategy.rollingUpdate.maxSurge',
      '.spec.template.metadata',
      '.spec.template.metadata.labels',
      '.spec.template.metadata.labels.app',
    ]);
    expect(paths(c.modified)).toEqual([
      '.spec.replicas',
      '.spec.selector',
      '.spec.template.spec.containers[name="a"].args',
    ]);
    expect(paths(c.removed)).toEqual([
      '.spec.template.spec.containers[name="b"]',
      '.spec.template.spec.containers[name="b"].image',
      '.spec.template.spec.containers[name="b"].name',
    ]);
  });

  it('sees {} versus null and absence as different, and ignores nothing else', () => {
    const c = compare(
      { spec: { template: { spec: { securityContext: null } } } },
      { spec: { template: { spec: { securityContext: {} } } }, status: {} },
      DEPLOYMENT,
    );
    expect(paths(c.modified)).toEqual(['.spec.template.spec.securityContext']);
    expect(paths(c.added)).toEqual(['.status']);
    expect(compare({ a: 1 }, { a: 1 }, DEPLOYMENT).modified.isEmpty()).toBe(true);
  });
});

describe('merge', () => {
  const list = (names: string[]) => ({
    spec: { template: { spec: { containers: names.map((name) => ({ name })) } } },
  });
  const names = (value: unknown) =>
    (
      value as { spec: { template: { spec: { containers: { name: string }[] } } } }
    ).spec.template.spec.containers.map((c) => c.name);

  it('orders merged list items as upstream: configuration order, live-only items in place', () => {
    expect(names(merge(list(['a', 'b', 'c']), list(['c', 'b', 'a']), DEPLOYMENT))).toEqual([
      'c',
      'b',
      'a',
    ]);
    expect(names(merge(list(['a', 'x', 'b']), list(['b', 'a']), DEPLOYMENT))).toEqual([
      'x',
      'b',
      'a',
    ]);
    expect(names(merge(list(['a', 'b']), list(['c', 'a', 'd']), DEPLOYMENT))).toEqual([
      'c',
      'a',
      'b',
      'd',
    ]);
  });

  it('merges sets by value, replaces atomic values, and ignores null for granular ones', () => {
    const live = {
      metadata: { finalizers: ['a', 'b'], labels: { x: '1' } },
      spec: {
        selector: { matchLabels: { a: '1', b: '2' } },
        template: { spec: { containers: [{ name: 'c', args: ['1', '2'], image: 'i' }] } },
      },
    };
    const config = {
      metadata: { finalizers: ['c', 'a'], labels: null },
      spec: {
        selector: { matchLabels: { c: '3' } },
        template: { spec: { containers: [{ name: 'c', args: ['3'] }] } },
      },
    };
    expect(merge(live, config, DEPLOYMENT)).toEqual({
      metadata: { finalizers: ['c', 'a', 'b'], labels: { x: '1' } },
      spec: {
        selector: { matchLabels: { c: '3' } },
        template: { spec: { containers: [{ name: 'c', args: ['3'], image: 'i' }] } },
      },
    });
  });
});

describe('removeItems and ensureNamedFieldsAreMembers', () => {
  it('removes members and what is below them; emptied maps become null upstream', () => {
    const value = { metadata: { labels: { a: '1' } }, spec: { replicas: 2, paused: true } };
    const set = of('metadata.labels.a', 'spec.replicas');
    expect(removeItems(value, set, DEPLOYMENT)).toEqual({
      metadata: { labels: null },
      spec: { paused: true },
    });
    expect(removeItems(value, set, DEPLOYMENT, true)).toEqual({
      metadata: {},
      spec: { paused: true },
    });
  });

  it('adds the struct fields above members, not map keys', () => {
    const set = FieldSet.fromFieldsV1({
      'f:spec': { 'f:template': { 'f:metadata': { 'f:labels': { 'f:app': {} } } } },
    });
    expect(paths(ensureNamedFieldsAreMembers(set, DEPLOYMENT))).toEqual([
      '.spec',
      '.spec.template',
      '.spec.template.metadata',
      '.spec.template.metadata.labels',
      '.spec.template.metadata.labels.app',
    ]);
  });
});

describe('validate', () => {
  it('finds undeclared fields, missing keys and duplicate keys, inside atomic lists too', () => {
    const problems = validate(
      {
        spec: {
          template: {
            spec: {
              tolerations: [{ key: 'a', colour: 'red' }],
              containers: [{ image: 'x' }],
            },
          },
        },
      },
      DEPLOYMENT,
    );
    expect(problems.map((p) => `${pathString(p.path)}: ${p.message}`)).toEqual([
      '.spec.template.spec.tolerations[0].colour: field not declared in schema',
      '.spec.template.spec.containers: element 0: associative list with keys has an element that omits key field "name" (and doesn\'t have default value)',
    ]);
  });
});

describe('Go struct shape', () => {
  it('gives the zero Deployment its value structs and non-omitempty fields', () => {
    expect(goZeroValue('io.k8s.api.apps.v1.Deployment')).toEqual({
      metadata: { creationTimestamp: null },
      spec: {
        selector: null,
        strategy: {},
        template: { metadata: { creationTimestamp: null }, spec: { containers: null } },
      },
      status: {},
    });
    expect(goZeroValue('io.k8s.api.apps.v1.DaemonSet')).toMatchObject({
      status: {
        currentNumberScheduled: 0,
        desiredNumberScheduled: 0,
        numberMisscheduled: 0,
        numberReady: 0,
      },
    });
    expect(goZeroValue('dev.kubelab.v1alpha1.Clock')).toEqual({});
  });

  it('fills list items too, without touching the input', () => {
    const pod = { spec: { containers: [{ name: 'a', ports: [{ name: 'http' }] }] } };
    expect(goShape(pod, 'io.k8s.api.core.v1.Pod')).toMatchObject({
      spec: { containers: [{ name: 'a', resources: {}, ports: [{ containerPort: 0 }] }] },
    });
    expect(pod.spec.containers[0]).not.toHaveProperty('resources');
  });

  it('names only schemas and fields that exist', () => {
    const missing: string[] = [];
    const field = (owner: string, name: string) => {
      if (!schemaNamed(owner)?.properties?.[name]) missing.push(`${owner}.${name}`);
    };
    const split = (path: string): [string, string] => {
      const i = path.lastIndexOf('.');
      return [path.slice(0, i), path.slice(i + 1)];
    };
    for (const [owner, fields] of Object.entries(GO_VALUE_FIELDS)) {
      for (const name of Object.keys(fields)) field(owner, name);
    }
    for (const path of [...ATOMIC_MAP_FIELDS, ...Object.keys(LIST_OVERRIDES)]) {
      field(...split(path));
    }
    for (const name of [...ATOMIC_STRUCTS, ...Object.keys(KEY_DEFAULTS)]) {
      if (!schemaNamed(name)) missing.push(name);
    }
    // ReplicationController is not served; Kubelab's own kinds come and go with the generator.
    for (const name of Object.keys(RESET_FIELDS)) {
      if (!name.startsWith('io.k8s.') || name.endsWith('.ReplicationController')) continue;
      if (!schemaNamed(name)) missing.push(name);
    }
    expect(missing).toEqual([]);
  });
});
