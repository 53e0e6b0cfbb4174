import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatProblem, loadLab, loadLabs, validateLabs } from './loader';
import { OPERATION_KINDS, type Lab, type LabOperation } from './schema';

const fixtures = join(import.meta.dirname, 'fixtures', 'labs');
const repoLabs = join(import.meta.dirname, '..', '..', 'labs');

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A labs folder in a temporary directory, with these files (paths relative to it). */
async function labsWith(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'kubelab-labs-'));
  temps.push(root);
  const labs = join(root, 'labs');
  await mkdir(labs);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(labs, path)), { recursive: true });
    await writeFile(join(labs, path), text);
  }
  return labs;
}

/** A valid lab.yaml with `rest` appended (cluster, checks and solution included unless given). */
function labYaml(id: string, rest = ''): string {
  return [
    `id: ${id}`,
    'title: A lab',
    'lesson: daemonsets',
    'level: beginner',
    'minutes: 5',
    'task: Create DaemonSet `agent` in namespace `labs`.',
    'checks:',
    '  - { id: agent, title: agent, type: daemonSetPlacement, namespace: labs, name: agent }',
    rest || 'cluster: { workers: 1 }\nsolution: []',
    '',
  ].join('\n');
}

async function problemsOf(labsDir: string, id: string): Promise<string[]> {
  const result = await loadLab(labsDir, id);
  return result.ok ? [] : result.error.map(formatProblem);
}

async function loaded(labsDir: string, id: string): Promise<Lab> {
  const result = await loadLab(labsDir, id);
  if (!result.ok) throw new Error(result.error.map(formatProblem).join('\n'));
  return result.value;
}

function allOperations(lab: Lab): LabOperation[] {
  return [...lab.cluster.setup, ...lab.steps.flatMap((step) => [...step.setup, ...step.solution])];
}

describe('loadLab: a valid lab', () => {
  it('loads every part, with manifests read and parsed', async () => {
    const lab = await loaded(fixtures, 'valid-lab');
    expect(lab).toMatchObject({
      id: 'valid-lab',
      lesson: 'daemonsets',
      level: 'intermediate',
      minutes: 25,
      tags: ['practice', 'exam', 'taints'],
      stepped: true,
      backends: ['embedded', 'kind'],
      clockNote: expect.stringContaining('5 minutes'),
      cluster: {
        workers: 2,
        nodes: { worker2: { labels: { disk: 'ssd' }, taints: ['gpu=true:NoSchedule'] } },
      },
    });
    expect(isAbsolute(lab.dir)).toBe(true);
    expect(lab.hints).toHaveLength(2);
    expect(lab.starter).toEqual({
      file: 'starter.yaml',
      text: expect.stringMatching(/^# Fill in the pod template/),
    });
    expect(lab.steps.map((step) => step.title)).toEqual([
      'Run the agent on every node',
      'Roll back a bad image',
      'A node joins, another fails',
    ]);
    expect(lab.steps[0]?.hints).toHaveLength(1);
    expect(lab.steps[0]?.checks.map((check) => [check.id, check.weight])).toEqual([
      ['agent-everywhere', 3],
      ['web-kept', 1],
    ]);
  });

  it('uses every operation kind', async () => {
    const lab = await loaded(fixtures, 'valid-lab');
    expect(new Set(allOperations(lab).map((op) => op.op))).toEqual(new Set(OPERATION_KINDS));
  });

  it('reads manifests from files and inline, keeping their text', async () => {
    const lab = await loaded(fixtures, 'valid-lab');
    const [namespace, web] = lab.cluster.setup;
    expect(namespace).toEqual({
      op: 'apply',
      manifest: {
        file: 'seed/namespace.yaml',
        text: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: labs\n',
        objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'labs' } }],
      },
    });
    expect(web?.op === 'apply' && web.manifest).toMatchObject({
      text: expect.stringMatching(/^apiVersion: apps\/v1\nkind: Deployment\n/),
      objects: [{ kind: 'Deployment', metadata: { name: 'web', labels: { old: 'yes' } } }],
    });
    expect(web?.op === 'apply' && 'file' in web.manifest).toBe(false);
    const agent = lab.steps[0]?.solution[0];
    expect(agent?.op === 'apply' && agent.manifest.objects.map((o) => o.kind)).toEqual([
      'DaemonSet',
      'ConfigMap',
    ]);
  });

  it('applies the defaults of operations', async () => {
    const lab = await loaded(fixtures, 'valid-lab');
    const waits = allOperations(lab).filter((op) => op.op === 'wait');
    expect(waits.map((op) => op.timeout)).toEqual(['2m', '60s', '30s']);
    const patches = allOperations(lab).filter((op) => op.op === 'patch');
    expect(patches.map((op) => op.type)).toEqual(['strategic', 'merge', 'json']);
  });

  it('gives a lab without steps one step, made of its task, checks and solution', async () => {
    const labs = await labsWith({ 'plain/lab.yaml': labYaml('plain') });
    const lab = await loaded(labs, 'plain');
    expect(lab.stepped).toBe(false);
    expect(lab.steps).toEqual([
      {
        title: 'A lab',
        task: 'Create DaemonSet `agent` in namespace `labs`.',
        setup: [],
        hints: [],
        checks: [expect.objectContaining({ id: 'agent', weight: 1 })],
        solution: [],
      },
    ]);
  });
});

describe('loadLabs: the fixtures', () => {
  /** Each malformed fixture, with exactly the problems it must report. */
  const expected: Record<string, string[]> = {
    'absolute-path': [
      `labs/absolute-path/lab.yaml:8:9: "/etc/hostname" is an absolute path: give a path relative to the lab's folder`,
    ],
    'bad-yaml': ['labs/bad-yaml/lab.yaml:15:5: YAML: Map keys must be unique'],
    'dotdot-path': [
      `labs/dotdot-path/lab.yaml:17:23: "../valid-lab/solution/agent.yaml" leaves the lab's folder: a lab may read only files inside it`,
    ],
    'id-mismatch': [
      `labs/id-mismatch/lab.yaml:1:5: id "another-lab" must equal the lab's folder name "id-mismatch"`,
    ],
    'manifest-file-errors': [
      'labs/manifest-file-errors/seed/objects.yaml:8:1: missing required field "metadata.name": every manifest document needs apiVersion, kind and metadata.name',
      'labs/manifest-file-errors/seed/objects.yaml:11:9: "{{worker2}}": the lab has 1 worker (cluster.workers and nodeAdd)',
    ],
    'missing-field': [
      'labs/missing-field/lab.yaml:1:1: missing required field "level" (expected one of "beginner"|"intermediate"|"advanced")',
    ],
    'no-kind': [
      'labs/no-kind/lab.yaml:17:9: missing required field "kind": every manifest document needs apiVersion, kind and metadata.name',
    ],
    'unknown-field': [
      'labs/unknown-field/lab.yaml:7:1: cluster: missing required field "workers"',
      'labs/unknown-field/lab.yaml:8:3: cluster: unknown field "worker"',
    ],
    'unknown-operation': [
      'labs/unknown-operation/lab.yaml:16:9: solution[0].op: unknown op "drain" (expected one of: apply, patch, delete, label, taint, cordon, uncordon, nodeAdd, nodeRemove, nodeStop, nodeStart, advanceClock, rolloutUndo, wait)',
    ],
    'unquoted-role': [
      "labs/unquoted-role/lab.yaml:17:11: solution[0].node: quote role placeholders, or YAML reads them as a mapping: '{{worker1}}'",
    ],
    'wrong-type-in-check': [
      'labs/wrong-type-in-check/lab.yaml:19:54: checks[0].checks[0].taints[0].present: expected boolean, received string',
    ],
  };

  it('loads the valid lab and collects the problems of each broken one', async () => {
    const { labs, failures } = await loadLabs(fixtures);
    expect(labs.map((lab) => lab.id)).toEqual(['valid-lab']);
    expect(Object.fromEntries(failures.map((f) => [f.id, f.problems.map(formatProblem)]))).toEqual(
      expected,
    );
  });

  it('validateLabs answers the same problems as lines', async () => {
    expect(await validateLabs(fixtures)).toEqual(Object.values(expected).flat());
  });

  it('reports paths relative to the parent of the labs folder as given', async () => {
    const result = await loadLab(join(fixtures, '..', 'labs'), 'id-mismatch');
    expect(!result.ok && result.error[0]?.file).toBe('labs/id-mismatch/lab.yaml');
  });
});

describe('loadLab: problems and their places', () => {
  it('refuses an id that is not a folder name before touching the file system', async () => {
    expect(await problemsOf(fixtures, '../labs/valid-lab')).toEqual([
      'labs/valid-lab/lab.yaml:1:1: invalid lab id "../labs/valid-lab"',
    ]);
  });

  it('reports YAML syntax errors where the parser found them', async () => {
    const labs = await labsWith({
      'syntax/lab.yaml': labYaml('syntax').replace('title: A lab', 'title: A lab\n  minutes: 5'),
      'alias/lab.yaml': labYaml('alias').replace('title: A lab', 'title: *name'),
    });
    expect(await problemsOf(labs, 'syntax')).toEqual([
      'labs/syntax/lab.yaml:2:8: YAML: Nested mappings are not allowed in compact mappings',
      'labs/syntax/lab.yaml:2:8: YAML: Implicit keys need to be on a single line',
    ]);
    expect(await problemsOf(labs, 'alias')).toEqual([
      'labs/alias/lab.yaml:2:8: YAML: unresolved alias *name',
    ]);
  });

  it('reports a missing or empty lab.yaml, and a second document in it', async () => {
    const labs = await labsWith({
      'empty/lab.yaml': '# nothing yet\n',
      'two/lab.yaml': `${labYaml('two')}---\nid: again\n`,
    });
    expect(await problemsOf(labs, 'none')).toEqual([
      'labs/none/lab.yaml:1:1: no lab.yaml in the lab folder',
    ]);
    expect(await problemsOf(labs, 'empty')).toEqual(['labs/empty/lab.yaml:1:1: lab.yaml is empty']);
    expect(await problemsOf(labs, 'two')).toEqual([
      'labs/two/lab.yaml:11:1: YAML: Source contains multiple documents; please use YAML.parseAllDocuments()',
    ]);
  });

  it('reports every schema problem of a lab at once, in order', async () => {
    const labs = await labsWith({
      'many/lab.yaml': [
        'id: many',
        'title: 3',
        'lesson: daemonsets',
        'level: expert',
        'minutes: 5',
        'task: Do it.',
        'tags: [Exam]',
        'checks:',
        '  - { id: a, title: a, type: daemonSetPlacement, namespace: labs }',
        '  - { id: b, title: b, type: podSpread }',
        'cluster: { workers: 1 }',
        'solution:',
        '  - { op: apply, manifest: 42 }',
        '  - { op: apply, manifest: { file: 7 } }',
        '  - { node: x }',
        '',
      ].join('\n'),
    });
    expect(await problemsOf(labs, 'many')).toEqual([
      'labs/many/lab.yaml:2:8: title: expected string, received number',
      'labs/many/lab.yaml:4:8: level: expected one of "beginner"|"intermediate"|"advanced"',
      "labs/many/lab.yaml:7:8: tags[0]: tags are lower case letters, digits and '-'",
      'labs/many/lab.yaml:9:5: checks[0]: missing required field "name"',
      'labs/many/lab.yaml:10:30: checks[1].type: unknown type "podSpread" (expected one of: daemonSetPlacement, deploymentReady, podsSpread, objectField, objectKept, rolloutRevision, resourceAbsent, nodeState, answer, anyOf)',
      'labs/many/lab.yaml:13:28: solution[0].manifest: expected YAML text or {file: <path relative to the lab folder>}',
      'labs/many/lab.yaml:14:36: solution[1].manifest.file: expected string, received number',
      'labs/many/lab.yaml:15:5: solution[2]: missing required field "op" (expected one of: apply, patch, delete, label, taint, cordon, uncordon, nodeAdd, nodeRemove, nodeStop, nodeStart, advanceClock, rolloutUndo, wait)',
    ]);
  });

  it('reports a bad key of a mapping at the key, with its own message', async () => {
    const labs = await labsWith({
      'keys/lab.yaml': labYaml(
        'keys',
        [
          'cluster:',
          '  workers: 1',
          '  nodes:',
          '    worker0: {}',
          '    worker1:',
          '      labels: { "bad key": x }',
          'solution: []',
        ].join('\n'),
      ),
    });
    expect(await problemsOf(labs, 'keys')).toEqual([
      'labs/keys/lab.yaml:12:5: cluster.nodes.worker0: a role: controlPlane, worker1, worker2…',
      expect.stringMatching(
        /^labs\/keys\/lab\.yaml:14:17: cluster\.nodes\.worker1\.labels\.bad key: invalid label key "bad key": name part must consist of/,
      ),
    ]);
  });

  it('places problems inside an inline manifest on their line of lab.yaml', async () => {
    const labs = await labsWith({
      'inline/lab.yaml': labYaml(
        'inline',
        [
          'cluster:',
          '  workers: 1',
          '  setup:',
          '    - op: apply',
          '      manifest: |',
          '        apiVersion: v1',
          '        kind: ConfigMap',
          '        metadata: { name: [unclosed }',
          '    - op: apply',
          '      manifest: "apiVersion: v1\\nkind: Widget\\nmetadata: {name: w}"',
          'solution: []',
        ].join('\n'),
      ),
    });
    expect(await problemsOf(labs, 'inline')).toEqual([
      'labs/inline/lab.yaml:16:37: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
      'labs/inline/lab.yaml:16:38: YAML: Flow map in block collection must be sufficiently indented and end with a }',
      'labs/inline/lab.yaml:18:17: the embedded cluster does not serve Widget in v1 (remove embedded from backends to use it)',
    ]);
  });

  it('checks the starter for YAML syntax and placeholders only', async () => {
    const labs = await labsWith({
      'starter/lab.yaml': labYaml('starter').replace(
        'checks:',
        'starter: |\n  kind: DaemonSet\n  spec: {{worker1}}\n  note: "{{worker9}}"\nchecks:',
      ),
      'incomplete/lab.yaml': labYaml('incomplete').replace(
        'checks:',
        'starter: |\n  apiVersion: apps/v1\n  kind: # fill in\nchecks:',
      ),
    });
    expect(await problemsOf(labs, 'starter')).toEqual([
      "labs/starter/lab.yaml:9:9: quote role placeholders, or YAML reads them as a mapping: '{{worker1}}'",
      'labs/starter/lab.yaml:10:9: "{{worker9}}": the lab has 1 worker (cluster.workers and nodeAdd)',
    ]);
    expect((await loaded(labs, 'incomplete')).starter?.text).toBe(
      'apiVersion: apps/v1\nkind: # fill in\n',
    );
  });

  it('reports a manifest file that is missing, a folder, or has no objects', async () => {
    const labs = await labsWith({
      'files/lab.yaml': labYaml(
        'files',
        [
          'cluster:',
          '  workers: 1',
          '  setup:',
          '    - { op: apply, manifest: { file: seed/missing.yaml } }',
          '    - { op: apply, manifest: { file: seed } }',
          '    - { op: apply, manifest: { file: seed/empty.yaml } }',
          '    - { op: apply, manifest: { file: seed/list.yaml } }',
          '    - { op: apply, manifest: { file: "seed\\\\x.yaml" } }',
          '    - { op: apply, manifest: { file: seed/../seed/ok.yaml } }',
          'solution: []',
        ].join('\n'),
      ),
      'files/seed/empty.yaml': '# nothing\n---\n',
      'files/seed/list.yaml': '- a\n- b\n',
      'files/seed/ok.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: { name: labs }\n',
    });
    expect(await problemsOf(labs, 'files')).toEqual([
      `labs/files/lab.yaml:12:38: "seed/missing.yaml": no such file in the lab's folder`,
      'labs/files/lab.yaml:13:38: "seed" is not a regular file',
      'labs/files/lab.yaml:16:38: "seed\\x.yaml": write paths with / so the lab loads the same on every system',
      'labs/files/seed/empty.yaml:1:1: the manifest has no objects',
      'labs/files/seed/list.yaml:1:1: a manifest document is an object (a mapping): every manifest document needs apiVersion, kind and metadata.name',
    ]);
  });
});

describe('loadLab: symbolic links', () => {
  const lab = labYaml(
    'linked',
    'cluster: { workers: 1 }\nsolution:\n  - { op: apply, manifest: { file: seed/agent.yaml } }',
  );
  const manifest = 'apiVersion: v1\nkind: Namespace\nmetadata: { name: labs }\n';

  it('refuses a manifest that is a link, even to a file outside the lab', async () => {
    const labs = await labsWith({ 'linked/lab.yaml': lab, 'outside.yaml': manifest });
    await mkdir(join(labs, 'linked', 'seed'));
    await symlink(join(labs, 'outside.yaml'), join(labs, 'linked', 'seed', 'agent.yaml'));
    expect(await problemsOf(labs, 'linked')).toEqual([
      `labs/linked/lab.yaml:11:36: "seed/agent.yaml": seed/agent.yaml is a symbolic link, and a lab may read only files inside its folder`,
    ]);
  });

  it('refuses a folder on the way that is a link', async () => {
    const labs = await labsWith({ 'linked/lab.yaml': lab, 'elsewhere/agent.yaml': manifest });
    await symlink(join(labs, 'elsewhere'), join(labs, 'linked', 'seed'));
    expect(await problemsOf(labs, 'linked')).toEqual([
      `labs/linked/lab.yaml:11:36: "seed/agent.yaml": seed is a symbolic link, and a lab may read only files inside its folder`,
    ]);
  });

  it('refuses a link even to a file inside the lab', async () => {
    const labs = await labsWith({ 'linked/lab.yaml': lab, 'linked/real.yaml': manifest });
    await mkdir(join(labs, 'linked', 'seed'));
    await symlink('../real.yaml', join(labs, 'linked', 'seed', 'agent.yaml'));
    expect(await problemsOf(labs, 'linked')).toHaveLength(1);
  });

  it('refuses a lab.yaml that is a link, and a lab folder that is a link', async () => {
    const labs = await labsWith({
      'real/lab.yaml': labYaml('real'),
      'copy/other.yaml': labYaml('copy'),
    });
    await symlink(join(labs, 'copy', 'other.yaml'), join(labs, 'copy', 'lab.yaml'));
    await symlink(join(labs, 'real'), join(labs, 'alias'));
    const { labs: loadedLabs, failures } = await loadLabs(labs);
    expect(loadedLabs.map((l) => l.id)).toEqual(['real']);
    expect(failures.flatMap((f) => f.problems.map(formatProblem))).toEqual([
      'labs/alias/lab.yaml:1:1: labs/alias is a symbolic link: a lab is a folder of its own',
      'labs/copy/lab.yaml:1:1: lab.yaml is a symbolic link: a lab may read only files inside its folder',
    ]);
  });
});

describe('the labs of this repository', () => {
  it('are all valid', async () => {
    expect(await validateLabs(repoLabs)).toEqual([]);
  });
});
