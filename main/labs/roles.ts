/**
 * Node roles: a lab names nodes by role (`{{controlPlane}}`, `{{worker1}}`, `{{worker2}}`…) and
 * the cluster it runs on decides the names. The embedded cluster and kind both name nodes
 * `<cluster>-control-plane`, `<cluster>-worker`, `<cluster>-worker2`…, so the roles of such a
 * cluster follow from its node list; a `context` cluster with other names brings its own map.
 */
import { ROLE_PLACEHOLDER } from './schema';

/** Role → node name, e.g. `{ controlPlane: 'lab-control-plane', worker1: 'lab-worker' }`. */
export type Roles = Readonly<Record<string, string>>;

/** A role name that no node of the cluster has, and that cannot be derived from its naming. */
export class UnknownRoleError extends Error {
  constructor(readonly role: string) {
    super(`no node has the role ${role}: the cluster has no such node`);
    this.name = 'UnknownRoleError';
  }
}

const KIND_NODE = /^(.+)-(control-plane|worker)([1-9][0-9]*)?$/;

/**
 * The roles of a kind-style node list. The cluster prefix is that of the control-plane node
 * (nodes of another prefix are ignored); `<x>-worker` is worker1, `<x>-workerN` is workerN (kind
 * never makes `<x>-worker1`, so that name gets no role). Names that do not follow the pattern
 * get no role.
 */
export function rolesFor(nodeNames: readonly string[]): Roles {
  const parsed = nodeNames.flatMap((name) => {
    const match = KIND_NODE.exec(name);
    return match ? [{ name, prefix: match[1]!, kind: match[2]!, index: match[3] }] : [];
  });
  const controlPlane =
    parsed.find((node) => node.kind === 'control-plane' && node.index === undefined) ??
    parsed.find((node) => node.kind === 'control-plane');
  const prefix = controlPlane?.prefix ?? parsed.find((node) => node.kind === 'worker')?.prefix;
  const roles: Record<string, string> = {};
  if (controlPlane) roles.controlPlane = controlPlane.name;
  for (const node of parsed) {
    if (node.prefix !== prefix || node.kind !== 'worker' || node.index === '1') continue;
    roles[`worker${node.index ?? '1'}`] = node.name;
  }
  return roles;
}

/**
 * The node name of a role. A worker role the cluster does not have yet (a node a lab is about to
 * add) is named as the embedded cluster and kind would name it, after the cluster's prefix.
 */
export function nodeNameFor(role: string, roles: Roles): string {
  const known = roles[role];
  if (known !== undefined) return known;
  const worker = /^worker([1-9][0-9]*)$/.exec(role);
  const prefix =
    /^(.+)-control-plane$/.exec(roles.controlPlane ?? '')?.[1] ??
    /^(.+)-worker$/.exec(roles.worker1 ?? '')?.[1];
  if (!worker || prefix === undefined) throw new UnknownRoleError(role);
  return `${prefix}-worker${worker[1] === '1' ? '' : worker[1]}`;
}

/** `value` with every `{{role}}` in its strings replaced by the node name, deeply. */
export function resolveRoles<T>(value: T, roles: Roles): T {
  return resolve(value, roles) as T;
}

function resolve(value: unknown, roles: Roles): unknown {
  if (typeof value === 'string') {
    return value.replace(ROLE_PLACEHOLDER, (_, role: string) => nodeNameFor(role, roles));
  }
  if (Array.isArray(value)) return value.map((item) => resolve(item, roles));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, resolve(item, roles)]),
    );
  }
  return value;
}
