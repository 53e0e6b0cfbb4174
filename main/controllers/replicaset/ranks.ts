/**
 * Which pods a ReplicaSet deletes first when it has too many: `controller.ActivePodsWithRanks`
 * (pkg/controller/controller_utils.go) and `getPodsToDelete` /
 * `getPodsRankedByRelatedPodsOnSameNode` (pkg/controller/replicaset/replica_set.go), with the
 * 1.30 feature gates as they default: PodDeletionCost and LogarithmicScaleDown on (both beta).
 */
import type { KubeObject } from '../../kube/objects';
import { isPodActive, isPodReady, podCondition } from '../util/controller-util';
import { obj, POD_DELETION_COST_ANNOTATION, timeOf } from './types';

/** `podPhaseToOrdinal`: Pending < Unknown < Running; any other phase counts as Pending. */
const PHASE_ORDINAL: Readonly<Record<string, number>> = { Pending: 0, Unknown: 1, Running: 2 };

function phaseOrdinal(pod: KubeObject): number {
  return PHASE_ORDINAL[String(obj(pod.status).phase ?? '')] ?? 0;
}

function nodeName(pod: KubeObject): string {
  const name = obj(pod.spec).nodeName;
  return typeof name === 'string' ? name : '';
}

/**
 * `helper.GetDeletionCostFromPodAnnotations`: the annotation as an int32; 0 when absent or
 * invalid (a leading `+`, leading zeros, not an integer, out of int32 range).
 */
export function podDeletionCost(pod: KubeObject): number {
  const value = pod.metadata.annotations?.[POD_DELETION_COST_ANNOTATION];
  if (value === undefined) return 0;
  // validFirstDigit: '-', a lone '0', or 1-9.
  if (!/^(-|0$|[1-9])/.test(value) || !/^-?\d+$/.test(value)) return 0;
  const n = Number(value);
  return n >= -2147483648 && n <= 2147483647 ? n : 0;
}

/** `podReadyTime`: when the Ready condition turned True; 0 (zero time) when not ready. */
function podReadyTime(pod: KubeObject): number {
  if (!isPodReady(pod)) return 0;
  return timeOf(podCondition(pod, 'Ready')?.lastTransitionTime);
}

/** `afterOrZero`: a zero time first, otherwise the later time first. */
function afterOrZero(t1: number, t2: number): boolean {
  if (t1 === 0 || t2 === 0) return t1 === 0;
  return t1 > t2;
}

/**
 * `logarithmicRankDiff`: compares how long ago two instants were in powers of two of
 * nanoseconds, so pods of similar age rank alike.
 */
function logarithmicRankDiff(t1: number, t2: number, now: number): number {
  const d1 = (now - t1) * 1e6;
  const d2 = (now - t2) * 1e6;
  const r1 = d1 > 0 ? Math.trunc(Math.log2(d1)) : -1;
  const r2 = d2 > 0 ? Math.trunc(Math.log2(d2)) : -1;
  return r1 - r2;
}

/**
 * `maxContainerRestarts`: the most restarts of a regular container, and of a sidecar
 * (an init container with `restartPolicy: Always`).
 */
function maxContainerRestarts(pod: KubeObject): { regular: number; sidecar: number } {
  const status = obj(pod.status);
  let regular = 0;
  for (const c of Array.isArray(status.containerStatuses) ? status.containerStatuses : []) {
    regular = Math.max(regular, Number(obj(c).restartCount ?? 0));
  }
  const sidecars = new Set<string>();
  const spec = obj(pod.spec);
  for (const c of Array.isArray(spec.initContainers) ? spec.initContainers : []) {
    if (obj(c).restartPolicy === 'Always') sidecars.add(String(obj(c).name));
  }
  let sidecar = 0;
  for (const c of Array.isArray(status.initContainerStatuses) ? status.initContainerStatuses : []) {
    if (sidecars.has(String(obj(c).name))) {
      sidecar = Math.max(sidecar, Number(obj(c).restartCount ?? 0));
    }
  }
  return { regular, sidecar };
}

function uidOf(pod: KubeObject): string {
  return pod.metadata.uid ?? '';
}

/** A pod and its rank: how many active related pods share its node. */
export interface RankedPod {
  readonly pod: KubeObject;
  readonly rank: number;
}

/**
 * `ActivePodsWithRanks.Less`: true when `a` should be deleted before `b`.
 *  1. unassigned before assigned;
 *  2. Pending before Unknown before Running;
 *  3. not Ready before Ready;
 *  4. lower `controller.kubernetes.io/pod-deletion-cost` first;
 *  5. higher rank (more co-located related pods, "doubled up") first;
 *  6. both Ready: Ready for less time first, in log2 buckets (UID breaks a tie of buckets);
 *  7. more container restarts first (regular, then sidecar);
 *  8. newer creation first, in log2 buckets (UID breaks a tie of buckets).
 */
export function activePodLess(a: RankedPod, b: RankedPod, now: number): boolean {
  const pi = a.pod;
  const pj = b.pod;
  const ni = nodeName(pi);
  const nj = nodeName(pj);
  if (ni !== nj && (ni === '' || nj === '')) return ni === '';
  if (phaseOrdinal(pi) !== phaseOrdinal(pj)) return phaseOrdinal(pi) < phaseOrdinal(pj);
  const ri = isPodReady(pi);
  const rj = isPodReady(pj);
  if (ri !== rj) return !ri;
  const ci = podDeletionCost(pi);
  const cj = podDeletionCost(pj);
  if (ci !== cj) return ci < cj;
  if (a.rank !== b.rank) return a.rank > b.rank;
  if (ri && rj) {
    const t1 = podReadyTime(pi);
    const t2 = podReadyTime(pj);
    if (t1 !== t2) {
      if (now === 0 || t1 === 0 || t2 === 0) return afterOrZero(t1, t2);
      const diff = logarithmicRankDiff(t1, t2, now);
      if (diff === 0) return uidOf(pi) < uidOf(pj);
      return diff < 0;
    }
  }
  const restartsI = maxContainerRestarts(pi);
  const restartsJ = maxContainerRestarts(pj);
  if (restartsI.regular !== restartsJ.regular) return restartsI.regular > restartsJ.regular;
  if (restartsI.sidecar !== restartsJ.sidecar) return restartsI.sidecar > restartsJ.sidecar;
  const c1 = timeOf(pi.metadata.creationTimestamp);
  const c2 = timeOf(pj.metadata.creationTimestamp);
  if (c1 !== c2) {
    if (now === 0 || c1 === 0 || c2 === 0) return afterOrZero(c1, c2);
    const diff = logarithmicRankDiff(c1, c2, now);
    if (diff === 0) return uidOf(pi) < uidOf(pj);
    return diff < 0;
  }
  return false;
}

/**
 * Sorts pods the way `sort.Sort(ActivePodsWithRanks)` orders them. Deviation: upstream's sort
 * is not stable, so pods equal under every rule come out in an unspecified order; here they keep
 * their input order (the caller sorts by name first), so a seed always deletes the same pod.
 */
export function sortActivePodsWithRanks(pods: readonly RankedPod[], now: number): RankedPod[] {
  return [...pods].sort((a, b) =>
    activePodLess(a, b, now) ? -1 : activePodLess(b, a, now) ? 1 : 0,
  );
}

/**
 * `getPodsRankedByRelatedPodsOnSameNode`: each pod's rank is the number of active pods among
 * `related` (the pods of every ReplicaSet with the same owner, this one's included) on its node.
 */
export function rankByRelatedPodsOnSameNode(
  pods: readonly KubeObject[],
  related: readonly KubeObject[],
): RankedPod[] {
  const onNode = new Map<string, number>();
  for (const pod of related) {
    if (isPodActive(pod)) onNode.set(nodeName(pod), (onNode.get(nodeName(pod)) ?? 0) + 1);
  }
  return pods.map((pod) => ({ pod, rank: onNode.get(nodeName(pod)) ?? 0 }));
}

/**
 * `getPodsToDelete`: the first `diff` pods in deletion order (all of them, unsorted, when every
 * pod goes).
 */
export function getPodsToDelete(
  pods: readonly KubeObject[],
  related: readonly KubeObject[],
  diff: number,
  now: number,
): KubeObject[] {
  if (diff >= pods.length) return pods.slice(0, diff);
  const ranked = sortActivePodsWithRanks(rankByRelatedPodsOnSameNode(pods, related), now);
  return ranked.slice(0, diff).map((r) => r.pod);
}
