/**
 * Events, as the components of a real cluster record them, written as core/v1 Events through the
 * registry so `kubectl describe` and `kubectl get events` show them:
 * - `legacy` (client-go tools/record, used by kube-controller-manager and the kubelet): name
 *   `<object>.<hex nanoseconds>`, `source`, `firstTimestamp`/`lastTimestamp`, `count`, and the
 *   reporting fields copied from the source. A repeat of an identical event (same source,
 *   object, type, reason and message) increments `count` and moves `lastTimestamp`, as
 *   EventCorrelator's EventLogger does. Not done: the aggregation of *similar* events with
 *   different messages ("(combined from similar events)") and the spam filter.
 * - `events.k8s.io` (k8s.io/client-go/tools/events, used by the scheduler): `eventTime`,
 *   `action`, `reportingComponent`/`reportingInstance`, no `source` and no count.
 */
import type { Clock } from '../../base/clock';
import type { Random } from '../../base/random';
import type { KubeObject } from '../../kube/objects';
import { findResource } from '../../kube/resources';
import { StatusError } from '../../kube/status';
import type { Registry } from '../../apiserver/registry/registry';

const events = findResource('', 'v1', 'events')!;

export interface EventSource {
  readonly component: string;
  /** The node, for kubelet events. */
  readonly host?: string;
  /** `events.k8s.io`: the new-style recorder (scheduler). Default: legacy. */
  readonly style?: 'legacy' | 'events.k8s.io';
  /** reportingInstance of new-style events, e.g. `default-scheduler-lab-control-plane`. */
  readonly instance?: string;
}

export type EventType = 'Normal' | 'Warning';

interface Seen {
  readonly name: string;
  readonly namespace: string;
}

/** Identical events remembered for counting (EventLogger's LRU holds 4096). */
const MAX_SEEN = 4096;

export class EventRecorder {
  private readonly seen = new Map<string, Seen>();
  private lastNano = 0n;

  constructor(
    private readonly registry: Registry,
    private readonly clock: Clock,
    private readonly random: Random,
    readonly source: EventSource,
  ) {}

  /**
   * Records an event about `object`. Never throws: a recorder that cannot write (the namespace is
   * terminating, say) drops the event, as client-go's does after its retries.
   */
  event(
    object: KubeObject,
    type: EventType,
    reason: string,
    message: string,
    options: { readonly action?: string; readonly fieldPath?: string } = {},
  ): void {
    try {
      this.record(object, type, reason, message, options);
    } catch (error) {
      if (!(error instanceof StatusError)) throw error;
    }
  }

  private record(
    object: KubeObject,
    type: EventType,
    reason: string,
    message: string,
    options: { readonly action?: string; readonly fieldPath?: string },
  ): void {
    const involved = {
      kind: object.kind,
      namespace: object.metadata.namespace,
      name: object.metadata.name,
      uid: object.metadata.uid,
      apiVersion: object.apiVersion,
      resourceVersion: object.metadata.resourceVersion,
      ...(options.fieldPath ? { fieldPath: options.fieldPath } : {}),
    };
    // Events about cluster-scoped objects (nodes) live in `default`.
    const namespace = object.metadata.namespace || 'default';
    const now = this.registry.now();
    const { component, host } = this.source;
    if (this.source.style === 'events.k8s.io') {
      this.registry.create(events, namespace, {
        metadata: { name: this.name(object), namespace },
        involvedObject: involved,
        reason,
        message,
        source: {},
        firstTimestamp: null,
        lastTimestamp: null,
        type,
        eventTime: microTime(this.clock.now()),
        action: options.action ?? reason,
        reportingComponent: component,
        reportingInstance: this.source.instance ?? component,
      } as unknown as KubeObject);
      return;
    }
    const identity = JSON.stringify([
      component,
      host ?? '',
      involved.kind,
      involved.namespace ?? '',
      involved.name,
      involved.uid,
      involved.apiVersion,
      type,
      reason,
      message,
    ]);
    const previous = this.seen.get(identity);
    if (previous) {
      try {
        this.registry.modify(events, previous.namespace, previous.name, (current) => {
          const event = current as KubeObject & { count?: number; lastTimestamp?: string };
          event.count = (event.count ?? 1) + 1;
          event.lastTimestamp = now;
          return event;
        });
        this.seen.delete(identity);
        this.seen.set(identity, previous);
        return;
      } catch (error) {
        if (!(error instanceof StatusError) || error.code !== 404) throw error;
        this.seen.delete(identity);
      }
    }
    const name = this.name(object);
    this.registry.create(events, namespace, {
      metadata: { name, namespace },
      involvedObject: involved,
      reason,
      message,
      source: host ? { component, host } : { component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: host ?? '',
    } as unknown as KubeObject);
    this.seen.set(identity, { name, namespace });
    if (this.seen.size > MAX_SEEN) this.seen.delete(this.seen.keys().next().value!);
  }

  /** `<object>.<hex of UnixNano>` (record.makeEvent), kept unique within this recorder. */
  private name(object: KubeObject): string {
    let nano = BigInt(this.clock.now()) * 1_000_000n + BigInt(Math.floor(this.random.next() * 1e6));
    if (nano <= this.lastNano) nano = this.lastNano + 1n;
    this.lastNano = nano;
    // Joined, so the name is one flat string, not a rope kept with the event (see randomString).
    return [object.metadata.name ?? '', nano.toString(16)].join('.');
  }
}

/** A metav1.MicroTime: RFC 3339 with six fractional digits (flat, as in `name`). */
function microTime(ms: number): string {
  return [new Date(ms).toISOString().slice(0, -'Z'.length), '000Z'].join('');
}
