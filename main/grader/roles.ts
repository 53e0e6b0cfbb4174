/**
 * Role templates: labs name nodes by role (`{{controlPlane}}`, `{{worker1}}`…) so one lab grades
 * the embedded cluster (`lab-worker`) and kind (`kind-worker`) alike; the caller maps roles to the
 * cluster's node names and every string of a check is resolved before the check runs.
 */
import { isPlainObject } from '../kube/objects';

/** A `{{role}}` the context does not know. */
export class RoleError extends Error {}

const ROLE = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

/** Replaces `{{role}}` in every string of a value (deeply). Throws RoleError for an unknown role. */
export function resolveRoles<T>(value: T, roles: Readonly<Record<string, string>>): T {
  return resolve(value, roles) as T;
}

function resolve(value: unknown, roles: Readonly<Record<string, string>>): unknown {
  if (typeof value === 'string') {
    return value.replace(ROLE, (_text, role: string) => {
      if (!Object.hasOwn(roles, role)) {
        const known = Object.keys(roles).sort().join(', ') || 'no roles';
        throw new RoleError(`unknown role {{${role}}}: this cluster has ${known}`);
      }
      return roles[role]!;
    });
  }
  if (Array.isArray(value)) return value.map((v) => resolve(v, roles));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolve(v, roles);
    return out;
  }
  return value;
}
