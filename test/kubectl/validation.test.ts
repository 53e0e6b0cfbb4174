// The validation errors learners meet, as kubectl prints them (research/daemonset-spec.md §5,
// V1–V23): each case applies a manifest with the real kubectl and compares stderr exactly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startTestCluster, type TestCluster } from '../support/cluster';

let lab: TestCluster;

beforeAll(async () => {
  lab = await startTestCluster({ workers: 1 });
});

afterAll(async () => {
  await lab?.stop();
});

type Obj = Record<string, unknown>;

function daemonSet(
  overrides: { name?: string; spec?: Obj; template?: Obj; podSpec?: Obj; labels?: Obj } = {},
): Obj {
  const podSpec = overrides.podSpec ?? { containers: [{ name: 'c', image: 'nginx:1.27' }] };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: overrides.name ?? 'ds-demo' },
    spec: {
      selector: { matchLabels: { app: 'ds-demo' } },
      template: {
        metadata: { labels: overrides.labels ?? { app: 'ds-demo' } },
        spec: podSpec,
        ...overrides.template,
      },
      ...overrides.spec,
    },
  };
}

function deployment(spec: Obj = {}, podSpec?: Obj): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: podSpec ?? { containers: [{ name: 'c', image: 'nginx:1.27' }] },
      },
      ...spec,
    },
  };
}

function without(object: Obj, path: string[]): Obj {
  const copy = structuredClone(object);
  let current = copy as Obj;
  for (const key of path.slice(0, -1)) current = current[key] as Obj;
  delete current[path[path.length - 1]!];
  return copy;
}

const invalid = (kind: string, name: string, ...causes: string[]): string =>
  causes.length === 1
    ? `The ${kind} "${name}" is invalid: ${causes[0]}\n`
    : `The ${kind} "${name}" is invalid: \n${causes.map((c) => `* ${c}`).join('\n')}\n`;

const RFC1123_LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const RFC1123_SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

interface Case {
  readonly id: string;
  readonly title: string;
  readonly manifest: Obj;
  /** stderr, with FILE standing for the manifest's path. */
  readonly expected: string;
}

const cases: Case[] = [
  {
    id: 'V1',
    title: 'DaemonSet selector does not match the template labels',
    manifest: daemonSet({ labels: { app: 'other' } }),
    expected: invalid(
      'DaemonSet',
      'ds-demo',
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`',
    ),
  },
  {
    id: 'V2',
    title: 'DaemonSet without spec.selector',
    manifest: without(daemonSet(), ['spec', 'selector']),
    expected: invalid(
      'DaemonSet',
      'ds-demo',
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"ds-demo"}: `selector` does not match template `labels`',
    ),
  },
  {
    id: 'V3',
    title: 'Deployment without spec.selector',
    manifest: without(deployment(), ['spec', 'selector']),
    expected: invalid(
      'Deployment',
      'web',
      'spec.selector: Required value',
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
    ),
  },
  {
    id: 'V4',
    title: 'empty selector on a DaemonSet',
    manifest: daemonSet({ spec: { selector: {} } }),
    expected: invalid(
      'DaemonSet',
      'ds-demo',
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for daemonset',
    ),
  },
  {
    id: 'V4',
    title: 'empty selector on a Deployment',
    manifest: deployment({ selector: {} }),
    expected: invalid(
      'Deployment',
      'web',
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
    ),
  },
  {
    id: 'V6',
    title: 'replicas in a DaemonSet (strict decoding)',
    manifest: daemonSet({ spec: { replicas: 3 } }),
    expected:
      'Error from server (BadRequest): error when creating "FILE": DaemonSet in version "v1" cannot be handled as a DaemonSet: strict decoding error: unknown field "spec.replicas"\n',
  },
  {
    id: 'V6',
    title: 'strategy in a DaemonSet (strict decoding)',
    manifest: daemonSet({ spec: { strategy: { type: 'RollingUpdate' } } }),
    expected:
      'Error from server (BadRequest): error when creating "FILE": DaemonSet in version "v1" cannot be handled as a DaemonSet: strict decoding error: unknown field "spec.strategy"\n',
  },
  {
    id: 'V7',
    title: 'invalid DaemonSet name',
    manifest: daemonSet({ name: 'My_DS' }),
    expected: invalid(
      'DaemonSet',
      'My_DS',
      `metadata.name: Invalid value: "My_DS": ${RFC1123_SUBDOMAIN}`,
    ),
  },
  {
    id: 'V8',
    title: 'invalid container name',
    manifest: daemonSet({ podSpec: { containers: [{ name: 'My_App', image: 'nginx' }] } }),
    expected: invalid(
      'DaemonSet',
      'ds-demo',
      `spec.template.spec.containers[0].name: Invalid value: "My_App": ${RFC1123_LABEL}`,
    ),
  },
  {
    id: 'V9',
    title: 'DaemonSet restartPolicy OnFailure',
    manifest: daemonSet({
      podSpec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'nginx' }] },
    }),
    expected: invalid(
      'DaemonSet',
      'ds-demo',
      'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
    ),
  },
  {
    id: 'V10',
    title: 'DaemonSet activeDeadlineSeconds',
    manifest: daemonSet({
      podSpec: { activeDeadlineSeconds: 30, containers: [{ name: 'c', image: 'nginx' }] },
    }),
    expected: invalid(
      'DaemonSet',
      'ds-demo',
      'spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in DaemonSet is not Supported',
    ),
  },
  {
    id: 'V11',
    title: 'DaemonSet maxUnavailable 0 and maxSurge 0',
    manifest: daemonSet({
      spec: {
        updateStrategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxUnavailable: 0, maxSurge: 0 },
        },
      },
    }),
    expected: invalid(
      'DaemonSet',
      'ds-demo',
      'spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0',
    ),
  },
  {
    id: 'V12',
    title: 'DaemonSet maxSurge with the defaulted maxUnavailable',
    manifest: daemonSet({ spec: { updateStrategy: { rollingUpdate: { maxSurge: 1 } } } }),
    expected: invalid(
      'DaemonSet',
      'ds-demo',
      'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: may not be set when maxUnavailable is non-zero',
    ),
  },
  {
    id: 'V13',
    title: 'percentage over 100',
    manifest: daemonSet({
      spec: { updateStrategy: { rollingUpdate: { maxUnavailable: '150%' } } },
    }),
    expected: invalid(
      'DaemonSet',
      'ds-demo',
      'spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%',
    ),
  },
  {
    id: 'V14',
    title: 'a percentage that is not one',
    manifest: daemonSet({
      spec: { updateStrategy: { rollingUpdate: { maxUnavailable: 'half' } } },
    }),
    // As upstream: "half" is also worth 0 (IntValue), so the zero-budget rule fires as well.
    expected: invalid(
      'DaemonSet',
      'ds-demo',
      "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"half\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      'spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0',
    ),
  },
  {
    id: 'V15',
    title: 'negative minReadySeconds',
    manifest: daemonSet({ spec: { minReadySeconds: -1 } }),
    expected: invalid(
      'DaemonSet',
      'ds-demo',
      'spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0',
    ),
  },
  {
    id: 'V16',
    title: 'a misspelt updateStrategy type',
    manifest: daemonSet({ spec: { updateStrategy: { type: 'Rolling' } } }),
    expected: invalid(
      'DaemonSet',
      'ds-demo',
      'spec.updateStrategy: Unsupported value: apps.DaemonSetUpdateStrategy{Type:"Rolling", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: supported values: "RollingUpdate", "OnDelete"',
    ),
  },
  {
    id: 'V17',
    title: 'Deployment maxUnavailable 0 and maxSurge 0',
    manifest: deployment({
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } },
    }),
    expected: invalid(
      'Deployment',
      'web',
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0',
    ),
  },
  {
    id: 'V18',
    title: 'Deployment Recreate with a rollingUpdate block',
    manifest: deployment({ strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } }),
    expected: invalid(
      'Deployment',
      'web',
      "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
    ),
  },
  {
    id: 'V19',
    title: 'progressDeadlineSeconds not above minReadySeconds',
    manifest: deployment({ minReadySeconds: 10, progressDeadlineSeconds: 10 }),
    expected: invalid(
      'Deployment',
      'web',
      'spec.progressDeadlineSeconds: Invalid value: 10: must be greater than minReadySeconds',
    ),
  },
  {
    id: 'V21',
    title: 'a typo in a nested field',
    manifest: daemonSet({
      podSpec: { nodeselector: { disk: 'ssd' }, containers: [{ name: 'c', image: 'nginx' }] },
    }),
    expected:
      'Error from server (BadRequest): error when creating "FILE": DaemonSet in version "v1" cannot be handled as a DaemonSet: strict decoding error: unknown field "spec.template.spec.nodeselector"\n',
  },
  {
    id: 'V22',
    title: 'a container without an image',
    manifest: daemonSet({ podSpec: { containers: [{ name: 'c' }] } }),
    expected: invalid(
      'DaemonSet',
      'ds-demo',
      'spec.template.spec.containers[0].image: Required value',
    ),
  },
  {
    id: 'V23',
    title: 'no containers',
    manifest: daemonSet({ podSpec: { containers: [] } }),
    expected: invalid('DaemonSet', 'ds-demo', 'spec.template.spec.containers: Required value'),
  },
];

describe('validation errors as kubectl prints them', () => {
  it.each(cases.map((c, i) => [`${c.id} ${c.title}`, i]))('%s', async (_title, index) => {
    const testCase = cases[index as number]!;
    const file = await lab.file(`case-${index}.yaml`, stringify(testCase.manifest));
    const result = await lab.kubectl(['apply', '-f', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(testCase.expected.replace('FILE', file));
    expect(result.stdout).toBe('');
  });

  it('V5: changing the selector of an existing DaemonSet', async () => {
    const file = await lab.file('v5.yaml', stringify(daemonSet({ name: 'immutable' })));
    expect((await lab.kubectl(['apply', '-f', file])).stdout).toBe(
      'daemonset.apps/immutable created\n',
    );
    const changed = daemonSet({
      name: 'immutable',
      labels: { app: 'b' },
      spec: { selector: { matchLabels: { app: 'b' } } },
    });
    await lab.file('v5.yaml', stringify(changed));
    const result = await lab.kubectl(['apply', '-f', file]);
    expect(result.stderr).toBe(
      invalid(
        'DaemonSet',
        'immutable',
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
      ),
    );
    const selectorOnly = daemonSet({
      name: 'immutable',
      spec: { selector: { matchLabels: { app: 'b' } } },
    });
    await lab.file('v5.yaml', stringify(selectorOnly));
    const both = await lab.kubectl(['apply', '-f', file]);
    expect(both.stderr).toBe(
      invalid(
        'DaemonSet',
        'immutable',
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"ds-demo"}: `selector` does not match template `labels`',
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
      ),
    );
  });

  it('fieldValidation=Warn drops unknown fields with a warning; Ignore drops them silently', async () => {
    const file = await lab.file(
      'warn.yaml',
      stringify(daemonSet({ name: 'warned', spec: { replicas: 2 } })),
    );
    const warned = await lab.kubectl(['apply', '-f', file, '--validate=warn']);
    expect(warned.stderr).toBe('Warning: unknown field "spec.replicas"\n');
    expect(warned.stdout).toBe('daemonset.apps/warned created\n');
    await lab.file('warn.yaml', stringify(daemonSet({ name: 'ignored', spec: { replicas: 2 } })));
    const ignored = await lab.kubectl(['apply', '-f', file, '--validate=false']);
    expect(ignored.stderr).toBe('');
    expect(ignored.stdout).toBe('daemonset.apps/ignored created\n');
  });

  it('an apiVersion the server does not serve: kubectl names the kind and version', async () => {
    // The manifest of an old tutorial: extensions/v1beta1 is gone since Kubernetes 1.16.
    const file = await lab.file(
      'extensions.yaml',
      stringify({ ...daemonSet({ name: 'old' }), apiVersion: 'extensions/v1beta1' }),
    );
    for (const args of [
      ['apply', '-f', file],
      ['create', '-f', file],
    ]) {
      const result = await lab.kubectl(args);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `error: resource mapping not found for name: "old" namespace: "" from "${file}": no matches for kind "DaemonSet" in version "extensions/v1beta1"\nensure CRDs are installed first\n`,
      );
    }
  });

  it('a value of the wrong type is a decoding error', async () => {
    const file = await lab.file('type.yaml', stringify(deployment({ replicas: 'three' })));
    const result = await lab.kubectl(['apply', '-f', file]);
    expect(result.stderr).toBe(
      `Error from server (BadRequest): error when creating "${file}": Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32\n`,
    );
  });
});
