/**
 * Taint and toleration arithmetic the node lifecycle, taint-eviction and pod GC controllers share,
 * after k8s.io/kubernetes pkg/util/taints (taints.go), k8s.io/api core/v1 `Taint.MatchTaint` and
 * pkg/apis/core/v1/helper `GetMatchingTolerations`. Pure functions over plain taint lists: the
 * controllers read a node, compute the new list here and write it through the registry.
 */
import { deepEqual } from '../../kube/objects';
import { toleratesTaint, type Taint, type Toleration } from '../../kube/scheduling';

/** `Taint.MatchTaint`: two taints are the same taint when key and effect are equal. */
export function matchTaint(a: Taint, b: Taint): boolean {
  return a.key === b.key && a.effect === b.effect;
}

/** `taints.TaintExists`: a taint with the same key and effect is in the list. */
export function taintExists(taints: readonly Taint[], taint: Taint): boolean {
  return taints.some((t) => matchTaint(t, taint));
}

/** `taints.TaintKeyExists`: some taint has this key, whatever its effect. */
export function taintKeyExists(taints: readonly Taint[], key: string): boolean {
  return taints.some((t) => t.key === key);
}

/** A taint as Go compares it (`Semantic.DeepEqual`): omitted and empty value are the same. */
function normalized(taint: Taint): Taint {
  return {
    key: taint.key,
    value: taint.value ?? '',
    effect: taint.effect,
    ...(taint.timeAdded ? { timeAdded: taint.timeAdded } : {}),
  };
}

/**
 * `taints.AddOrUpdateTaint`: replaces the taint with the same key and effect in place (unless it
 * is identical, timeAdded included), or appends it. `updated` is false when nothing changed.
 */
export function addOrUpdateTaint(
  taints: readonly Taint[],
  taint: Taint,
): { taints: Taint[]; updated: boolean } {
  const out: Taint[] = [];
  let updated = false;
  for (const existing of taints) {
    if (matchTaint(taint, existing)) {
      if (deepEqual(normalized(taint), normalized(existing))) {
        return { taints: [...taints], updated: false };
      }
      out.push(taint);
      updated = true;
      continue;
    }
    out.push(existing);
  }
  if (!updated) out.push(taint);
  return { taints: out, updated: true };
}

/**
 * `taints.RemoveTaint` / `DeleteTaint`: drops every taint with the taint's key and effect.
 * `removed` is false when there was none.
 */
export function removeTaint(
  taints: readonly Taint[],
  taint: Taint,
): { taints: Taint[]; removed: boolean } {
  if (!taintExists(taints, taint)) return { taints: [...taints], removed: false };
  return { taints: taints.filter((t) => !matchTaint(t, taint)), removed: true };
}

/** `taints.TaintSetDiff`: what `wanted` adds to `current` and what it removes (by key+effect). */
export function taintSetDiff(
  wanted: readonly Taint[],
  current: readonly Taint[],
): { toAdd: Taint[]; toRemove: Taint[] } {
  return {
    toAdd: wanted.filter((t) => !taintExists(current, t)),
    toRemove: current.filter((t) => !taintExists(wanted, t)),
  };
}

/**
 * `v1helper.GetMatchingTolerations`: whether every taint is tolerated and, for each taint, the
 * first toleration that tolerates it. No taints: tolerated, nothing used.
 */
export function getMatchingTolerations(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
): { allTolerated: boolean; used: Toleration[] } {
  if (taints.length === 0) return { allTolerated: true, used: [] };
  const used: Toleration[] = [];
  for (const taint of taints) {
    const toleration = tolerations.find((t) => toleratesTaint(t, taint));
    if (!toleration) return { allTolerated: false, used: [] };
    used.push(toleration);
  }
  return { allTolerated: true, used };
}

/**
 * `getMinTolerationTime` (pkg/controller/tainteviction): the shortest `tolerationSeconds` among
 * the tolerations used, in milliseconds; 0 when there are none or one is ≤ 0; -1 when none sets
 * `tolerationSeconds` (they tolerate forever).
 */
export function getMinTolerationTime(tolerations: readonly Toleration[]): number {
  if (tolerations.length === 0) return 0;
  let min = Infinity;
  for (const toleration of tolerations) {
    const seconds = toleration.tolerationSeconds;
    if (typeof seconds !== 'number') continue;
    if (seconds <= 0) return 0;
    min = Math.min(min, seconds);
  }
  return min === Infinity ? -1 : min * 1000;
}

/** The NoExecute taints of a list (`getNoExecuteTaints`). */
export function noExecuteTaints(taints: readonly Taint[]): Taint[] {
  return taints.filter((t) => t.effect === 'NoExecute');
}
