/**
 * The command a learner would type for an operation, for the solution view: the reference
 * solution is shown as kubectl commands (what the CKA asks for), and as `kubelab` commands for
 * what kubectl cannot do (a machine joining, losing power, the clock jumping). Commands are
 * exact and runnable in a POSIX shell against the lab's cluster (current kubeconfig context):
 * names are resolved from roles and every argument is quoted where the shell needs it.
 */
import { findByKind, RESOURCES } from '../kube/resources';
import { parseGoDuration } from '../kube/duration';
import type { ObjectQuery, ObjectRef } from '../grader/spec';
import { nodeNameFor, resolveRoles, type Roles } from './roles';
import type { LabOperation } from './schema';

/** Characters a POSIX shell (and zsh, and bash's history expansion) leaves alone in a word. */
const SAFE_WORD = /^[A-Za-z0-9_\-./=:,@%+]+$/;

/** Quotes a word for a POSIX shell where it needs it (see singleQuote). */
export function shellQuote(word: string): string {
  return SAFE_WORD.test(word) ? word : singleQuote(word);
}

/** Single quotes, with `'` written as `'\''`: nothing inside is expanded. */
export function singleQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The resource word kubectl takes for a kind: its singular (`daemonset`) or plural (`pods`),
 * qualified with version and group (`event.v1.events.k8s.io`) when another group serves a kind of
 * the same name, since kubectl would pick the core one.
 */
export function resourceWord(apiVersion: string, kind: string, plural = false): string {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  const type = findByKind(apiVersion, kind);
  const name = type ? (plural ? type.plural : type.singular) : kind.toLowerCase();
  const ambiguous = RESOURCES.some((other) => other.kind === kind && other.group !== group);
  return group !== '' && (ambiguous || !type) ? `${name}.${version}.${group}` : name;
}

function namespaceFlag(namespace: string | undefined): string[] {
  return namespace === undefined ? [] : ['-n', namespace];
}

function objectArgs(target: ObjectRef): string[] {
  return [
    resourceWord(target.apiVersion, target.kind),
    target.name,
    ...namespaceFlag(target.namespace),
  ];
}

/** `pods -n labs -l app=web`, or `-A` when a namespaced kind is queried in every namespace. */
function queryArgs(query: ObjectQuery): string[] {
  const namespaced = findByKind(query.apiVersion, query.kind)?.namespaced ?? true;
  return [
    resourceWord(query.apiVersion, query.kind, true),
    ...(query.namespace !== undefined ? ['-n', query.namespace] : namespaced ? ['-A'] : []),
    ...(query.labelSelector !== undefined ? ['-l', query.labelSelector] : []),
    ...(query.fieldSelector !== undefined ? ['--field-selector', query.fieldSelector] : []),
  ];
}

function command(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}

/** A heredoc delimiter that no line of the text equals. */
function delimiterFor(text: string): string {
  const lines = new Set(text.split('\n'));
  let delimiter = 'EOF';
  for (let i = 1; lines.has(delimiter); i++) delimiter = `EOF${i}`;
  return delimiter;
}

function seconds(duration: string): number {
  const parsed = parseGoDuration(duration);
  return 'ms' in parsed ? Math.ceil(parsed.ms / 1000) : 60;
}

/**
 * The command for an operation, with node roles resolved through `roles`. Every operation has
 * one today; the return type leaves room for operations with no command-line form.
 */
export function kubectlCommand(operation: LabOperation, roles: Roles): string | undefined {
  const op = resolveRoles(operation, roles);
  switch (op.op) {
    case 'apply': {
      const text = op.manifest.text.endsWith('\n') ? op.manifest.text : `${op.manifest.text}\n`;
      const delimiter = delimiterFor(text);
      return `kubectl apply -f - <<'${delimiter}'\n${text}${delimiter}`;
    }
    case 'patch':
      return command([
        'kubectl',
        'patch',
        ...objectArgs(op.target),
        ...(op.type === 'strategic' ? [] : [`--type=${op.type}`]),
        '-p',
        JSON.stringify(op.patch),
      ]);
    case 'delete': {
      const flags = [
        ...(op.cascade !== undefined ? [`--cascade=${op.cascade}`] : []),
        ...(op.gracePeriodSeconds !== undefined ? [`--grace-period=${op.gracePeriodSeconds}`] : []),
        ...(op.gracePeriodSeconds === 0 ? ['--force'] : []),
      ];
      if (op.target) return command(['kubectl', 'delete', ...objectArgs(op.target), ...flags]);
      if (!op.query) return undefined;
      const selected = op.query.labelSelector !== undefined || op.query.fieldSelector !== undefined;
      return command([
        'kubectl',
        'delete',
        ...queryArgs(op.query),
        ...(selected ? [] : ['--all']),
        ...flags,
      ]);
    }
    case 'label': {
      const subject = op.target ? objectArgs(op.target) : ['node', op.node ?? ''];
      return command([
        'kubectl',
        'label',
        ...subject,
        ...op.labels,
        ...(op.overwrite ? ['--overwrite'] : []),
      ]);
    }
    case 'taint':
      return command([
        'kubectl',
        'taint',
        'node',
        op.node,
        ...op.taints,
        ...(op.overwrite ? ['--overwrite'] : []),
      ]);
    case 'cordon':
    case 'uncordon':
      return command(['kubectl', op.op, op.node]);
    case 'nodeAdd': {
      const labels = Object.entries(op.labels ?? {}).map(([key, value]) => `${key}=${value}`);
      return command([
        'kubelab',
        'node',
        'add',
        '--name',
        nodeNameFor(op.role, roles),
        ...(labels.length ? ['--labels', labels.join(',')] : []),
        ...(op.taints?.length ? ['--taints', op.taints.join(',')] : []),
      ]);
    }
    case 'nodeRemove':
      return command(['kubelab', 'node', 'remove', op.node]);
    case 'nodeStop':
      return command(['kubelab', 'node', 'stop', op.node]);
    case 'nodeStart':
      return command(['kubelab', 'node', 'start', op.node]);
    case 'advanceClock':
      return command(['kubelab', 'cluster', 'advance', op.duration]);
    case 'rolloutUndo':
      return command([
        'kubectl',
        'rollout',
        'undo',
        `${op.kind.toLowerCase()}/${op.name}`,
        '-n',
        op.namespace,
        ...(op.toRevision !== undefined ? [`--to-revision=${op.toRevision}`] : []),
      ]);
    case 'wait':
      return waitCommand(op);
  }
}

function waitCommand(op: Extract<LabOperation, { op: 'wait' }>): string | undefined {
  const timeout = seconds(op.timeout);
  if (op.target && op.path !== undefined && op.equals !== undefined) {
    const target = op.target;
    return [
      'kubectl wait',
      command([
        `${resourceWord(target.apiVersion, target.kind)}/${target.name}`,
        ...namespaceFlag(target.namespace),
      ]),
      // kubectl's documented spelling: --for=jsonpath='{.status.phase}'=Running.
      `--for=jsonpath=${singleQuote(op.path)}=${shellQuote(String(op.equals))}`,
      `--timeout=${timeout}s`,
    ].join(' ');
  }
  if (!op.query || op.count === undefined) return undefined;
  if (op.count === 0) {
    return command([
      'kubectl',
      'wait',
      ...queryArgs(op.query),
      '--for=delete',
      `--timeout=${timeout}s`,
    ]);
  }
  // kubectl wait has no condition on a count: poll kubectl get until the count is reached.
  const get = command(['kubectl', 'get', ...queryArgs(op.query), '-o', 'name']);
  const script = `until [ "$(${get} | wc -l)" -eq ${op.count} ]; do sleep 1; done`;
  return command(['timeout', String(timeout), 'sh', '-c', script]);
}
