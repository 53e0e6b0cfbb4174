/**
 * What the workload controllers share, after pkg/controller/controller_utils.go and
 * controller_ref_manager.go: controller references, claiming (adopting and releasing) objects,
 * template hashes, pod creation from a template, slow-start batches, and the pod readiness
 * helpers of pkg/api/v1/pod.
 */
import { isPlainObject, deepCopy, type KubeObject, type OwnerReference } from '../../kube/objects';
import type { Selector } from '../../kube/labels';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});

/** `metav1.NewControllerRef`. */
export function newControllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion ?? '',
    kind: owner.kind ?? '',
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** `metav1.GetControllerOf`: the owner reference with `controller: true`, if any. */
export function controllerOf(object: KubeObject): OwnerReference | undefined {
  return object.metadata.ownerReferences?.find((ref) => ref.controller === true);
}

export interface ClaimActions {
  /** Adds the owner's controller reference to an orphan (a PATCH upstream). */
  adopt(object: KubeObject): KubeObject | undefined;
  /** Removes the owner's reference from an object it no longer selects. */
  release(object: KubeObject): void;
  /** Whether the owner may adopt now (upstream re-reads it uncached: not being deleted). */
  canAdopt(): boolean;
}

/**
 * `BaseControllerRefManager.ClaimObject` over a list: keeps objects the owner controls and
 * selects, adopts selected orphans (not being deleted), releases controlled objects it no longer
 * selects. Returns the objects the owner now controls.
 */
export function claimObjects(
  owner: KubeObject,
  selector: Selector,
  objects: readonly KubeObject[],
  actions: ClaimActions,
): KubeObject[] {
  const claimed: KubeObject[] = [];
  const uid = owner.metadata.uid;
  for (const object of objects) {
    const ref = controllerOf(object);
    if (ref) {
      if (ref.uid !== uid) continue;
      if (selector.matches(object.metadata.labels)) {
        claimed.push(object);
      } else if (!owner.metadata.deletionTimestamp && !object.metadata.deletionTimestamp) {
        actions.release(object);
      }
      continue;
    }
    if (owner.metadata.deletionTimestamp || !selector.matches(object.metadata.labels)) continue;
    if (object.metadata.deletionTimestamp || !actions.canAdopt()) continue;
    const adopted = actions.adopt(object);
    if (adopted) claimed.push(adopted);
  }
  return claimed;
}

/** FNV-1a, 32 bits, over UTF-8 bytes. */
export function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  const bytes = new TextEncoder().encode(text);
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** `rand.SafeEncodeString`: maps each character into an alphabet without vowels or look-alikes. */
export function safeEncodeString(text: string): string {
  const alphanums = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (let i = 0; i < text.length; i++) out += alphanums[text.charCodeAt(i) % alphanums.length];
  return out;
}

/**
 * `controller.ComputeHash(template, collisionCount)`: fnv32a of the template, the collision
 * count mixed in, as a decimal string through SafeEncodeString — so hashes look like upstream's
 * (1–10 characters of `[4-9bcdf]`, e.g. `6d8f5c4b97`). Deviation: upstream hashes Go's `%#v`
 * rendering of the typed template (spew); this hashes its canonical JSON (keys sorted), so the
 * values differ from a real cluster's for the same template.
 */
export function computeHash(template: unknown, collisionCount?: number): string {
  let hash = fnv32a(canonicalJson(template));
  if (collisionCount !== undefined && collisionCount !== null) {
    // Upstream writes the count's 4 bytes (little endian) into the hasher.
    const bytes = [
      collisionCount & 0xff,
      (collisionCount >>> 8) & 0xff,
      (collisionCount >>> 16) & 0xff,
      (collisionCount >>> 24) & 0xff,
    ];
    for (const byte of bytes) {
      hash ^= byte;
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
  }
  return safeEncodeString(String(hash >>> 0));
}

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * `controller.GetPodFromTemplate`: a pod from a template — its labels, annotations and
 * finalizers, `generateName` `<prefix>-`, a controller reference to the owner, and the template's
 * spec. The caller adds what its controller adds (labels, pins).
 */
export function podFromTemplate(
  template: unknown,
  owner: KubeObject,
  generateName: string,
): KubeObject {
  const t = obj(template);
  const meta = obj(t.metadata);
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName,
      namespace: owner.metadata.namespace,
      ownerReferences: [newControllerRef(owner)],
    },
    spec: deepCopy(obj(t.spec)),
  } as KubeObject;
  if (isPlainObject(meta.labels))
    pod.metadata.labels = { ...(meta.labels as Record<string, string>) };
  if (isPlainObject(meta.annotations)) {
    pod.metadata.annotations = { ...(meta.annotations as Record<string, string>) };
  }
  if (Array.isArray(meta.finalizers)) pod.metadata.finalizers = [...(meta.finalizers as string[])];
  return pod;
}

/** `getPodsPrefix`: `<name>-`, or the bare name when `<name>-` is not a valid generateName. */
export function podsPrefix(controllerName: string): string {
  const prefix = `${controllerName}-`;
  return prefix.length <= 253 && /^[a-z0-9]([-a-z0-9.]*)?$/.test(prefix) ? prefix : controllerName;
}

/**
 * `slowStartBatch(count, initialBatchSize, fn)`: calls `fn` in batches of 1, 2, 4 … and stops at
 * the first batch with an error. Returns how many calls succeeded (and the first error).
 */
export function slowStartBatch(
  count: number,
  initialBatchSize: number,
  fn: () => void,
): { successes: number; error: unknown } {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0;) {
    let error: unknown;
    for (let i = 0; i < batch; i++) {
      try {
        fn();
        successes++;
      } catch (e) {
        error ??= e;
      }
    }
    if (error !== undefined) return { successes, error };
    remaining -= batch;
    batch = Math.min(2 * batch, remaining);
  }
  return { successes, error: undefined };
}

export const SLOW_START_INITIAL_BATCH_SIZE = 1;

// -------------------------------------------------------------------------------------------
// Pod conditions (pkg/api/v1/pod/util.go)

export function podCondition(pod: KubeObject, type: string): Obj | undefined {
  const conditions = obj(pod.status).conditions;
  return Array.isArray(conditions)
    ? (conditions as unknown[]).filter(isPlainObject).find((c) => c.type === type)
    : undefined;
}

/** `IsPodReady`: the Ready condition is True. */
export function isPodReady(pod: KubeObject): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}

/**
 * `IsPodAvailable(pod, minReadySeconds, now)`: Ready, and Ready for longer than
 * minReadySeconds (its lastTransitionTime + minReadySeconds before now).
 */
export function isPodAvailable(pod: KubeObject, minReadySeconds: number, now: number): boolean {
  const ready = podCondition(pod, 'Ready');
  if (ready?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = Date.parse(String(ready.lastTransitionTime ?? ''));
  return Number.isFinite(since) && since + minReadySeconds * 1000 < now;
}

/** Succeeded or Failed. */
export function isPodTerminal(pod: KubeObject): boolean {
  const phase = obj(pod.status).phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** `controller.IsPodActive`: not terminal and not being deleted. */
export function isPodActive(pod: KubeObject): boolean {
  return !isPodTerminal(pod) && pod.metadata.deletionTimestamp === undefined;
}
