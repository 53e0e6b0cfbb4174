/**
 * The endpoints controller (kube-controller-manager `endpoints-controller`), after
 * pkg/controller/endpoint/endpoints_controller.go of Kubernetes 1.30: for every Service with a
 * selector it keeps an Endpoints object of the same name listing the matching pods of its
 * namespace — Ready ones under `addresses`, the others under `notReadyAddresses` (all under
 * `addresses` with `publishNotReadyAddresses`), each with its node and a reference to the pod,
 * for every Service port whose `targetPort` the pod has — packed by `RepackSubsets`. The
 * Endpoints carry the Service's labels, plus `service.kubernetes.io/headless: ""` for a
 * headless Service, and the `endpoints.kubernetes.io/last-change-trigger-time` annotation.
 *
 * - Services without a selector, and ExternalName Services, are left alone: their Endpoints
 *   belong to whoever writes them (`default/kubernetes` is the API server's).
 * - A deleted Service's Endpoints are deleted (whatever wrote them), and at start every
 *   Endpoints is checked once, so one left over from a Service deleted while the controller was
 *   down goes too (`checkLeftoverEndpoints`), leader-election records aside.
 * - It writes only when the addresses, ports or labels differ from what is stored (or the
 *   over-capacity annotation is wrong): an idle cluster sees no writes.
 * - More than 1000 addresses are truncated, with `endpoints.kubernetes.io/over-capacity:
 *   truncated`.
 *
 * `--endpoint-updates-batch-period` is 0 (the default): pod changes are handled at once.
 * Upstream's stale-endpoints tracker is not needed: the informers never lag this controller's
 * own writes here.
 *
 * Deviations: ports and subsets, when there are several, are ordered deterministically but not
 * by upstream's md5-of-spew order (see `repackSubsets`). The trigger-time annotation is written
 * in cluster time; unlike the object's timestamp fields, the API server does not shift it back
 * by what `kubelab cluster advance` skipped.
 */
import { isPlainObject, type KubeObject } from '../../kube/objects';
import { findResource } from '../../kube/resources';
import { isNamespaceTerminating, isNotFound } from '../../kube/status';
import type { EventRecorder } from '../runtime/events';
import { keyOf, splitKey, type Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import type { WorkQueue } from '../runtime/queue';
import { isPodReady } from '../util/controller-util';
import {
  capacityAnnotationSetCorrectly,
  endpointSubsetsFor,
  HEADLESS_SERVICE_LABEL,
  isServiceIPSet,
  LAST_CHANGE_TRIGGER_TIME_ANNOTATION,
  labelsEqual,
  OVER_CAPACITY_ANNOTATION,
  repackSubsets,
  selectorMatches,
  serviceSelector,
  subsetsEqual,
  truncateSubsets,
  TRUNCATED,
} from './subsets';
import { formatRFC3339Nano, TriggerTimeTracker } from './trigger-time';

const servicesType = findResource('', 'v1', 'services')!;
const podsType = findResource('', 'v1', 'pods')!;
const endpointsType = findResource('', 'v1', 'endpoints')!;

/** Who kube-controller-manager's clients write as (their User-Agent prefix). */
const FIELD_MANAGER = 'kube-controller-manager';

/** `resourcelock.LeaderElectionRecordAnnotationKey`. */
const LEADER_ELECTION_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';

/** `maxRetries`: syncs of one Service that fail in a row before it is dropped. */
export const MAX_RETRIES = 15;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function stringMap(value: unknown): Record<string, string> | undefined {
  return isPlainObject(value) ? (value as Record<string, string>) : undefined;
}

/**
 * `podEndpointsChanged`: whether a pod update may change the addresses it contributes (its
 * deletion, readiness or IPs changed) and whether it may change which Services it belongs to
 * (its labels, hostname or subdomain changed).
 */
function podEndpointsChanged(
  old: KubeObject,
  cur: KubeObject,
): { podChanged: boolean; labelsChanged: boolean } {
  const oldSpec = isPlainObject(old.spec) ? old.spec : {};
  const curSpec = isPlainObject(cur.spec) ? cur.spec : {};
  const labelsChanged =
    !labelsEqual(old.metadata.labels, cur.metadata.labels) ||
    oldSpec.hostname !== curSpec.hostname ||
    oldSpec.subdomain !== curSpec.subdomain;
  // Upstream compares the deletionTimestamp pointers: any pod being deleted counts as changed.
  if (old.metadata.deletionTimestamp !== undefined || cur.metadata.deletionTimestamp !== undefined)
    return { podChanged: true, labelsChanged };
  if (isPodReady(old) !== isPodReady(cur)) return { podChanged: true, labelsChanged };
  const ips = (pod: KubeObject): string => {
    const status = isPlainObject(pod.status) ? pod.status : {};
    return JSON.stringify(
      Array.isArray(status.podIPs)
        ? status.podIPs.map((p) => (isPlainObject(p) ? p.ip : undefined))
        : [],
    );
  };
  return { podChanged: ips(old) !== ips(cur), labelsChanged };
}

export class EndpointsController implements Controller {
  private readonly services: Informer;
  private readonly pods: Informer;
  private readonly endpoints: Informer;
  private readonly queue: WorkQueue;
  private readonly recorder: EventRecorder;
  private readonly triggerTimes = new TriggerTimeTracker();

  constructor(private readonly ctx: ControllerContext) {
    this.recorder = ctx.recorder({ component: 'endpoint-controller' });
    this.services = ctx.informers.for(servicesType);
    this.pods = ctx.informers.for(podsType);
    this.endpoints = ctx.informers.for(endpointsType);
    this.queue = ctx.queue('endpoint', (key) => this.sync(key));
    this.services.addHandlers({
      add: (service) => this.queue.add(keyOf(service)),
      update: (_old, service) => this.queue.add(keyOf(service)),
      delete: (service) => this.queue.add(keyOf(service)),
    });
    this.pods.addHandlers({
      add: (pod) => this.enqueueServicesOf(pod),
      update: (old, cur) => this.updatePod(old, cur),
      delete: (pod) => this.enqueueServicesOf(pod),
    });
    this.endpoints.addHandlers({
      delete: (endpoints) => this.queue.add(keyOf(endpoints)),
    });
  }

  /** `checkLeftoverEndpoints`: every Endpoints once, so those without a Service are deleted. */
  start(): void {
    for (const endpoints of this.endpoints.list()) {
      if (LEADER_ELECTION_ANNOTATION in (endpoints.metadata.annotations ?? {})) continue;
      this.queue.add(keyOf(endpoints));
    }
  }

  stop(): void {}

  // -------------------------------------------------------------------------------------------
  // Event handlers

  /** `getServicesForPod`: keys of the namespace's Services whose selector matches `labels`. */
  private servicesFor(namespace: string, labels: Record<string, string> | undefined): Set<string> {
    const keys = new Set<string>();
    for (const service of this.services.list(namespace)) {
      const selector = serviceSelector(service);
      if (selector && selectorMatches(selector, labels)) keys.add(keyOf(service));
    }
    return keys;
  }

  /** `addPod`/`deletePod`: the Services the pod belongs to. */
  private enqueueServicesOf(pod: KubeObject): void {
    const keys = this.servicesFor(pod.metadata.namespace ?? '', pod.metadata.labels);
    for (const key of [...keys].sort()) this.queue.add(key);
  }

  /**
   * `updatePod` (`GetServicesToUpdateOnPodChange`): nothing for a resync or a change that does
   * not matter to endpoints; the new Services on a pod change; with changed labels the union
   * of old and new Services (pod changed too) or only those it joined or left.
   */
  private updatePod(old: KubeObject, cur: KubeObject): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    const { podChanged, labelsChanged } = podEndpointsChanged(old, cur);
    if (!podChanged && !labelsChanged) return;
    const namespace = cur.metadata.namespace ?? '';
    const now = this.servicesFor(namespace, cur.metadata.labels);
    let keys = now;
    if (labelsChanged) {
      const before = this.servicesFor(namespace, old.metadata.labels);
      keys = podChanged
        ? new Set([...now, ...before])
        : new Set([
            ...[...now].filter((k) => !before.has(k)),
            ...[...before].filter((k) => !now.has(k)),
          ]);
    }
    for (const key of [...keys].sort()) this.queue.add(key);
  }

  // -------------------------------------------------------------------------------------------
  // Sync

  /**
   * `processNextWorkItem` with `handleErr`: a failed sync is retried with backoff (by the
   * manager, on the throw) until it has failed `MAX_RETRIES` times in a row, then dropped.
   */
  private sync(key: string): void {
    try {
      this.syncService(key);
    } catch (error) {
      if (this.queue.numRequeues(key) < MAX_RETRIES) throw error;
      this.ctx.log(
        `endpoint-controller: dropping service ${key} out of the queue: ${message(error)}`,
      );
    }
  }

  /** `syncService`. */
  private syncService(key: string): void {
    const { namespace, name } = splitKey(key);
    const service = this.services.getByKey(key);
    if (!service) {
      // The Service is gone: so are its Endpoints.
      try {
        this.ctx.registry.delete(endpointsType, namespace, name, {});
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      this.triggerTimes.delete(key);
      return;
    }
    const spec = isPlainObject(service.spec) ? service.spec : {};
    // ExternalName Services get no endpoints from this controller (issues.k8s.io/105986).
    if (spec.type === 'ExternalName') return;
    const selector = serviceSelector(service);
    // Without a selector the Endpoints are written out of band, through the API.
    if (!selector) return;

    const pods = this.pods
      .list(namespace)
      .filter((pod) => selectorMatches(selector, pod.metadata.labels))
      .sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
    // Computed before the comparison, so the tracker's state moves even when nothing is written.
    const triggerTime = this.triggerTimes.compute(key, service, pods);
    const subsets = repackSubsets(endpointSubsetsFor(service, pods));

    const current = this.endpoints.getByKey(key);
    const serviceLabels = stringMap(service.metadata.labels);
    if (current) {
      const currentLabels = { ...stringMap(current.metadata.labels) };
      delete currentLabels[HEADLESS_SERVICE_LABEL];
      const annotations = stringMap(current.metadata.annotations);
      const currentSubsets = (current as { subsets?: unknown }).subsets;
      if (
        subsetsEqual(currentSubsets, subsets) &&
        labelsEqual(currentLabels, serviceLabels) &&
        capacityAnnotationSetCorrectly(annotations, currentSubsets)
      ) {
        return;
      }
    }

    const annotations: Record<string, string> = { ...stringMap(current?.metadata.annotations) };
    if (triggerTime !== 0) {
      annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION] = formatRFC3339Nano(triggerTime);
    } else {
      delete annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION];
    }
    if (truncateSubsets(subsets)) annotations[OVER_CAPACITY_ANNOTATION] = TRUNCATED;
    else delete annotations[OVER_CAPACITY_ANNOTATION];
    const labels: Record<string, string> = { ...serviceLabels };
    if (isServiceIPSet(service)) delete labels[HEADLESS_SERVICE_LABEL];
    else labels[HEADLESS_SERVICE_LABEL] = '';

    const metadata = {
      ...(current ? current.metadata : { name, namespace }),
      labels,
      annotations,
    };
    if (Object.keys(labels).length === 0) delete (metadata as { labels?: unknown }).labels;
    if (Object.keys(annotations).length === 0) {
      delete (metadata as { annotations?: unknown }).annotations;
    }
    const next = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata,
      ...(subsets.length > 0 ? { subsets } : {}),
    } as KubeObject;

    try {
      if (current) {
        this.ctx.registry.update(endpointsType, namespace, name, next, {
          fieldManager: FIELD_MANAGER,
        });
      } else {
        this.ctx.registry.create(endpointsType, namespace, next, { fieldManager: FIELD_MANAGER });
      }
    } catch (error) {
      // A terminating namespace refuses creates: drop the Service.
      if (!current && isNamespaceTerminating(error)) return;
      if (current) {
        this.recorder.event(
          next,
          'Warning',
          'FailedToUpdateEndpoint',
          `Failed to update endpoint ${namespace}/${name}: ${message(error)}`,
        );
      } else {
        this.recorder.event(
          next,
          'Warning',
          'FailedToCreateEndpoint',
          `Failed to create endpoint for service ${namespace}/${name}: ${message(error)}`,
        );
      }
      throw error;
    }
  }
}
