/**
 * `TriggerTimeTracker` of k8s.io/endpointslice/util (Kubernetes 1.30): the value of the
 * `endpoints.kubernetes.io/last-change-trigger-time` annotation — when the change that led to
 * this Endpoints write happened. For a Service seen for the first time it is the Service's
 * creationTimestamp; afterwards the earliest of the pods' Ready-condition transition times (and
 * the Service's creationTimestamp) that moved since the previous sync, or nothing when none did.
 *
 * Kept in memory like upstream's: a restarted controller starts over (first syncs then report
 * the Services' creation times).
 */
import type { KubeObject } from '../../kube/objects';
import { podCondition } from '../util/controller-util';

interface ServiceState {
  lastServiceTriggerTime: number;
  /** Pod name → its Ready condition's lastTransitionTime (ms). */
  lastPodTriggerTimes: Map<string, number>;
}

/** Milliseconds of an RFC 3339 time; 0 (Go's zero time) when absent. */
function timeOf(value: unknown): number {
  if (typeof value !== 'string') return 0;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : 0;
}

/** `getPodTriggerTime`: the pod's Ready condition's lastTransitionTime. */
function podTriggerTime(pod: KubeObject): number {
  return timeOf(podCondition(pod, 'Ready')?.lastTransitionTime);
}

/** `time.Time.UTC().Format(time.RFC3339Nano)`: fractional seconds only when there are some. */
export function formatRFC3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z');
}

export class TriggerTimeTracker {
  private readonly states = new Map<string, ServiceState>();

  /**
   * `ComputeEndpointLastChangeTriggerTime`: updates what is known of the Service and returns the
   * time to export (ms), or 0 when the annotation should be cleared.
   */
  compute(key: string, service: KubeObject, pods: readonly KubeObject[]): number {
    const state = this.states.get(key);
    let min = 0;
    const podTimes = new Map<string, number>();
    for (const pod of pods) {
      const time = podTriggerTime(pod);
      if (time === 0) continue;
      const name = pod.metadata.name ?? '';
      podTimes.set(name, time);
      if (time > (state?.lastPodTriggerTimes.get(name) ?? 0) && (min === 0 || time < min)) {
        min = time;
      }
    }
    const serviceTime = timeOf(service.metadata.creationTimestamp);
    if (serviceTime > (state?.lastServiceTriggerTime ?? 0) && (min === 0 || serviceTime < min)) {
      min = serviceTime;
    }
    this.states.set(key, { lastServiceTriggerTime: serviceTime, lastPodTriggerTimes: podTimes });
    // A new Service: its creation time.
    return state ? min : serviceTime;
  }

  /** `DeleteService`. */
  delete(key: string): void {
    this.states.delete(key);
  }
}
