/**
 * A small cluster for the DaemonSet controller's tests: a MemoryStore and a Registry with a fake
 * clock and seeded randomness, a ControllerManager running only this controller, and helpers that
 * play the scheduler (binding pods to the node they are pinned to) and the kubelet (Ready, phases,
 * finishing graceful deletions) — the real ones are other controllers.
 *
 * Two ways to drive it:
 * - `settle()` runs the manager until nothing is left to do and reports the pods the controller
 *   created and deleted meanwhile (how the cluster really runs);
 * - with `manual: true` the manager never runs on its own: `sync(name)` runs exactly one
 *   `syncDaemonSet`, like upstream tests call `syncHandler`, after delivering pending watch
 *   events to the informers.
 */
import { FakeClock } from '../../base/clock';
import { seededRandom } from '../../base/random';
import { deepCopy, isPlainObject, type KubeObject } from '../../kube/objects';
import { findResource, type ResourceType } from '../../kube/resources';
import { errors } from '../../kube/status';
import {
  Registry,
  type DeleteOptions,
  type DeleteResult,
  type WriteOptions,
} from '../../apiserver/registry/registry';
import { MemoryStore } from '../../apiserver/store/store';
import { ControllerManager } from '../runtime/manager';
import { computeHash, controllerOf } from '../util/controller-util';
import { targetNodeName } from '../../kube/scheduling';
import { DaemonSetController, type DaemonSetControllerOptions } from './daemonset-controller';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});

export const podsType = findResource('', 'v1', 'pods')!;
export const nodesType = findResource('', 'v1', 'nodes')!;
export const daemonSetsType = findResource('apps', 'v1', 'daemonsets')!;
export const revisionsType = findResource('apps', 'v1', 'controllerrevisions')!;
export const eventsType = findResource('', 'v1', 'events')!;
const namespacesType = findResource('', 'v1', 'namespaces')!;
const serviceAccountsType = findResource('', 'v1', 'serviceaccounts')!;

/** Upstream's `simpleDaemonSetLabel` / `simpleDaemonSetLabel2` / `simpleNodeLabel`. */
export const simpleDaemonSetLabel = { name: 'simple-daemon', type: 'production' };
export const simpleDaemonSetLabel2 = { name: 'simple-daemon', type: 'test' };
export const simpleNodeLabel = { color: 'blue', speed: 'fast' };
export const simpleNodeLabel2 = { color: 'red', speed: 'fast' };

function isPods(type: ResourceType): boolean {
  return type.group === '' && type.plural === 'pods';
}

/**
 * The registry the controller writes through, recording its pod creates and deletes and able to
 * fail them (upstream's FakePodControl `CreateLimit`, `Err`) or fail status updates.
 */
export class SpyRegistry extends Registry {
  /** Pods the controller created / deleted since the last `reset()`. */
  creates: string[] = [];
  deletes: string[] = [];
  /** Create calls for pods (successful or not) since the last `reset()`. */
  createCalls = 0;
  /** Pod creates allowed in total; later ones fail like an exhausted quota. */
  createLimit = Number.POSITIVE_INFINITY;
  /** Pod deletes fail with this while set. */
  deleteError: Error | undefined;
  /** The next N DaemonSet status updates fail with a conflict. */
  failStatusUpdates = 0;
  private podCreates = 0;
  private external = 0;

  /** Runs `write` as the test (the user, the scheduler, the kubelet), not the controller. */
  asTest<T>(write: () => T): T {
    this.external++;
    try {
      return write();
    } finally {
      this.external--;
    }
  }

  reset(): void {
    this.creates = [];
    this.deletes = [];
    this.createCalls = 0;
  }

  override create(
    type: ResourceType,
    namespace: string,
    input: KubeObject,
    options?: WriteOptions,
  ): KubeObject {
    if (this.external > 0 || !isPods(type)) return super.create(type, namespace, input, options);
    this.createCalls++;
    if (this.podCreates >= this.createLimit) {
      throw errors.forbidden(
        { group: '', resource: 'pods' },
        input.metadata.generateName ?? '',
        `exceeded quota: pods, requested: pods=1, used: pods=${this.podCreates}, limited: pods=${this.createLimit}`,
      );
    }
    const created = super.create(type, namespace, input, options);
    this.podCreates++;
    this.creates.push(created.metadata.name ?? '');
    return created;
  }

  override update(
    type: ResourceType,
    namespace: string,
    name: string,
    input: KubeObject,
    options: WriteOptions & { readonly subresource?: 'status' | 'finalize' } = {},
  ): { object: KubeObject; created: boolean } {
    if (
      this.external === 0 &&
      type.plural === 'daemonsets' &&
      options.subresource === 'status' &&
      this.failStatusUpdates > 0
    ) {
      this.failStatusUpdates--;
      throw errors.updateConflict({ group: 'apps', resource: 'daemonsets' }, name);
    }
    return super.update(type, namespace, name, input, options);
  }

  override delete(
    type: ResourceType,
    namespace: string,
    name: string,
    options?: DeleteOptions,
  ): DeleteResult {
    if (this.external === 0 && isPods(type)) {
      if (this.deleteError) throw this.deleteError;
      const result = super.delete(type, namespace, name, options);
      this.deletes.push(name);
      return result;
    }
    return super.delete(type, namespace, name, options);
  }
}

export interface HarnessOptions {
  readonly manual?: boolean;
  readonly seed?: number;
  readonly controller?: DaemonSetControllerOptions;
}

export interface NodeOptions {
  readonly labels?: Record<string, string>;
  readonly taints?: ReadonlyArray<Record<string, unknown>>;
  readonly unschedulable?: boolean;
  readonly ready?: 'True' | 'False' | 'Unknown';
}

export interface PodOptions {
  readonly node?: string;
  readonly labels?: Record<string, string>;
  /** The DaemonSet that controls it (and whose template hash it carries unless `hash` says). */
  readonly owner?: KubeObject;
  /** The `controller-revision-hash` label; `null` for none. */
  readonly hash?: string | null;
  readonly phase?: string;
  readonly ready?: boolean;
  readonly spec?: Obj;
  readonly finalizers?: string[];
}

/** Counts from one step: pods the controller created and deleted. */
export interface Step {
  readonly creates: string[];
  readonly deletes: string[];
}

export class Harness {
  readonly clock = new FakeClock(Date.UTC(2026, 0, 1));
  readonly store = new MemoryStore();
  readonly registry: SpyRegistry;
  readonly manager: ControllerManager;
  readonly controller: DaemonSetController;

  constructor(options: HarnessOptions = {}) {
    const seed = options.seed ?? 1;
    this.registry = new SpyRegistry({
      store: this.store,
      clock: this.clock,
      random: seededRandom(seed),
    });
    this.registry.asTest(() => {
      this.registry.create(namespacesType, '', { metadata: { name: 'default' } });
      this.registry.create(serviceAccountsType, 'default', { metadata: { name: 'default' } });
    });
    this.manager = new ControllerManager({
      registry: this.registry,
      clock: this.clock,
      random: seededRandom(seed + 1),
      ...(options.manual ? { defer: () => undefined } : {}),
    });
    this.controller = this.manager.add((ctx) => new DaemonSetController(ctx, options.controller));
    this.manager.start();
    this.store.flush();
  }

  stop(): void {
    this.manager.stop();
  }

  // --- driving ---------------------------------------------------------------------------

  /** Runs the controllers until idle; returns what the DaemonSet controller did meanwhile. */
  async settle(): Promise<Step> {
    this.registry.reset();
    await this.manager.settle();
    return { creates: [...this.registry.creates], deletes: [...this.registry.deletes] };
  }

  /** Moves the clock (firing delayed keys) and settles. */
  async advance(ms: number): Promise<Step> {
    this.registry.reset();
    this.clock.advance(ms);
    await this.manager.settle();
    return { creates: [...this.registry.creates], deletes: [...this.registry.deletes] };
  }

  /** Manual mode: delivers pending watch events to the informers (and so to the handlers). */
  flush(): void {
    this.store.flush();
  }

  /** Manual mode: takes every queued key out of the controller's queue. */
  drainQueue(): string[] {
    this.flush();
    const keys: string[] = [];
    for (let key = this.controller.queue.take(); key !== undefined;) {
      this.controller.queue.done(key);
      keys.push(key);
      key = this.controller.queue.take();
    }
    return keys.sort();
  }

  /** Manual mode: one `syncDaemonSet` of `default/<name>`; a thrown error is returned. */
  sync(name: string): Step & { error?: unknown } {
    this.flush();
    this.registry.reset();
    let error: unknown;
    try {
      this.controller.syncDaemonSet(`default/${name}`);
    } catch (e) {
      error = e;
    }
    const step = { creates: [...this.registry.creates], deletes: [...this.registry.deletes] };
    this.flush();
    return error === undefined ? step : { ...step, error };
  }

  // --- objects ---------------------------------------------------------------------------

  addNode(name: string, options: NodeOptions = {}): KubeObject {
    return this.registry.asTest(() =>
      this.registry.create(nodesType, '', {
        metadata: { name, ...(options.labels ? { labels: options.labels } : {}) },
        spec: {
          ...(options.taints ? { taints: options.taints } : {}),
          ...(options.unschedulable ? { unschedulable: true } : {}),
        },
        status: {
          conditions: [{ type: 'Ready', status: options.ready ?? 'True' }],
          allocatable: { pods: '110', cpu: '2', memory: '4Gi' },
        },
      }),
    );
  }

  /** `addNodes(nodeStore, start, n, label)`: node-<start> … node-<start+n-1>. */
  addNodes(start: number, count: number, labels?: Record<string, string>): void {
    for (let i = start; i < start + count; i++) {
      this.addNode(`node-${i}`, labels ? { labels } : {});
    }
  }

  updateNode(name: string, mutate: (node: KubeObject) => void): KubeObject {
    return this.registry.asTest(() =>
      this.registry.modify(nodesType, '', name, (copy) => {
        mutate(copy);
        return copy;
      }),
    );
  }

  deleteNode(name: string): void {
    this.registry.asTest(() => this.registry.delete(nodesType, '', name));
  }

  /**
   * `newDaemonSet(name)`: selector and template labels `simpleDaemonSetLabel`, one container
   * `foo/bar`; `spec` fields given replace or extend it (template.spec fields via `podSpec`).
   */
  createDaemonSet(
    name: string,
    options: {
      readonly spec?: Obj;
      readonly podSpec?: Obj;
      readonly annotations?: Record<string, string>;
      readonly templateLabels?: Record<string, string>;
    } = {},
  ): KubeObject {
    const template = {
      metadata: { labels: options.templateLabels ?? simpleDaemonSetLabel },
      spec: { containers: [{ name: 'app', image: 'foo/bar' }], ...options.podSpec },
    };
    return this.registry.asTest(() =>
      this.registry.create(daemonSetsType, 'default', {
        metadata: { name, ...(options.annotations ? { annotations: options.annotations } : {}) },
        spec: { selector: { matchLabels: simpleDaemonSetLabel }, template, ...options.spec },
      }),
    );
  }

  updateDaemonSet(name: string, mutate: (ds: KubeObject) => void): KubeObject {
    return this.registry.asTest(() =>
      this.registry.modify(daemonSetsType, 'default', name, (copy) => {
        mutate(copy);
        return copy;
      }),
    );
  }

  /** Changes the first container's image: a template change, hence a new revision. */
  setImage(name: string, image: string): KubeObject {
    return this.updateDaemonSet(name, (ds) => {
      const containers = obj(obj(obj(ds.spec).template).spec).containers as Obj[];
      containers[0]!.image = image;
    });
  }

  daemonSet(name: string): KubeObject {
    return this.registry.get(daemonSetsType, 'default', name);
  }

  status(name: string): Obj {
    return obj(this.daemonSet(name).status);
  }

  /** A pod written by the test, as upstream tests add pods to the informer's store. */
  createPod(generateName: string, options: PodOptions = {}): KubeObject {
    const owner = options.owner;
    const labels: Record<string, string> = { ...(options.labels ?? simpleDaemonSetLabel) };
    if (owner && options.hash !== null) {
      labels['controller-revision-hash'] = options.hash ?? this.currentHash(owner);
    } else if (typeof options.hash === 'string') {
      labels['controller-revision-hash'] = options.hash;
    }
    const spec = options.spec ?? { containers: [{ name: 'app', image: 'foo/bar' }] };
    let pod = this.registry.asTest(() =>
      this.registry.create(podsType, 'default', {
        metadata: {
          generateName,
          labels,
          ...(options.finalizers ? { finalizers: options.finalizers } : {}),
          ...(owner
            ? {
                ownerReferences: [
                  {
                    apiVersion: 'apps/v1',
                    kind: 'DaemonSet',
                    name: owner.metadata.name ?? '',
                    uid: owner.metadata.uid ?? '',
                    controller: true,
                    blockOwnerDeletion: true,
                  },
                ],
              }
            : {}),
        },
        spec,
      }),
    );
    if (options.node) pod = this.bind(pod, options.node);
    if (options.phase || options.ready !== undefined) {
      pod = this.setPodStatus(pod.metadata.name ?? '', {
        phase: options.phase ?? 'Running',
        ready: options.ready ?? false,
      });
    }
    return pod;
  }

  /** `addPods(podStore, node, label, ds, n)`. */
  addPods(node: string, labels: Record<string, string>, owner: KubeObject, count: number): void {
    for (let i = 0; i < count; i++) this.createPod(`${node}-`, { node, labels, owner });
  }

  /**
   * The hash the controller gives pods of the DaemonSet's current template (upstream's `newPod`
   * labels test pods with `ComputeHash(&ds.Spec.Template, ds.Status.CollisionCount)`).
   */
  currentHash(ds: KubeObject): string {
    const fresh = this.daemonSet(ds.metadata.name ?? '');
    const collisionCount = obj(fresh.status).collisionCount;
    return computeHash(
      obj(fresh.spec).template,
      typeof collisionCount === 'number' ? collisionCount : undefined,
    );
  }

  pod(name: string): KubeObject {
    return this.registry.get(podsType, 'default', name);
  }

  /** Every pod in `default`, oldest first. */
  pods(): KubeObject[] {
    return [...this.registry.list(podsType, 'default').items];
  }

  /** Pods the DaemonSet controls. */
  daemonPods(dsName: string): KubeObject[] {
    const uid = this.daemonSet(dsName).metadata.uid;
    return this.pods().filter((pod) => controllerOf(pod)?.uid === uid);
  }

  /** Daemon pods not being deleted, by target node. */
  podsByNode(dsName: string): Map<string, KubeObject[]> {
    const out = new Map<string, KubeObject[]>();
    for (const pod of this.daemonPods(dsName)) {
      if (pod.metadata.deletionTimestamp) continue;
      const node = targetNodeName(pod) ?? '';
      out.set(node, [...(out.get(node) ?? []), pod]);
    }
    return out;
  }

  revisions(dsName?: string): KubeObject[] {
    const items = [...this.registry.list(revisionsType, 'default').items];
    if (!dsName) return items;
    const uid = this.daemonSet(dsName).metadata.uid;
    return items.filter((r) => controllerOf(r)?.uid === uid);
  }

  /** The DaemonSet controller's events about `involvedName`, oldest first. */
  events(involvedName?: string): Array<{ reason: string; type: string; message: string }> {
    return this.registry
      .list(eventsType, 'default')
      .items.filter(
        (e) =>
          obj(e.source).component === 'daemonset-controller' &&
          (involvedName === undefined || obj(e.involvedObject).name === involvedName),
      )
      .map((e) => ({ reason: String(e.reason), type: String(e.type), message: String(e.message) }));
  }

  /** How many times the controller reported `reason` (identical events are one, counted). */
  eventCount(reason: string, involvedName?: string): number {
    return this.registry
      .list(eventsType, 'default')
      .items.filter(
        (e) =>
          obj(e.source).component === 'daemonset-controller' &&
          e.reason === reason &&
          (involvedName === undefined || obj(e.involvedObject).name === involvedName),
      )
      .reduce((sum, e) => sum + (typeof e.count === 'number' ? e.count : 1), 0);
  }

  // --- playing the scheduler and the kubelet ------------------------------------------------

  /**
   * The scheduler's binding: sets `spec.nodeName` and PodScheduled. Written to the store
   * directly, as pods/binding storage does: `Registry.update` refuses to change `spec.nodeName`
   * (pod update validation), and no registry-level bind exists yet (the scheduler's
   * `bindPod` is being written beside this).
   */
  bind(pod: KubeObject, node: string): KubeObject {
    return this.store.guaranteedUpdate(
      {
        resource: '/pods',
        namespace: pod.metadata.namespace ?? 'default',
        name: pod.metadata.name ?? '',
      },
      (current) => {
        const next = deepCopy(current);
        next.spec = { ...obj(next.spec), nodeName: node };
        const status = obj(next.status);
        const conditions = (
          Array.isArray(status.conditions) ? (status.conditions as Obj[]) : []
        ).filter((c) => c.type !== 'PodScheduled');
        conditions.push({
          type: 'PodScheduled',
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: this.registry.now(),
        });
        next.status = { ...status, conditions };
        return next;
      },
    );
  }

  /** Binds every unbound pod to the node it is pinned to. */
  bindAll(): void {
    for (const pod of this.pods()) {
      if (obj(pod.spec).nodeName || pod.metadata.deletionTimestamp) continue;
      const node = targetNodeName(pod);
      if (node) this.bind(pod, node);
    }
  }

  /** The kubelet's status write: phase and the Ready condition (moved only when it changes). */
  setPodStatus(name: string, status: { phase?: string; ready?: boolean }): KubeObject {
    return this.registry.asTest(() =>
      this.registry.modify(
        podsType,
        'default',
        name,
        (copy) => {
          const current = obj(copy.status);
          const conditions = (
            Array.isArray(current.conditions) ? (current.conditions as Obj[]) : []
          ).map((c) => ({ ...c }));
          if (status.ready !== undefined) {
            const wanted = status.ready ? 'True' : 'False';
            const ready = conditions.find((c) => c.type === 'Ready');
            if (!ready) {
              conditions.push({
                type: 'Ready',
                status: wanted,
                lastProbeTime: null,
                lastTransitionTime: this.registry.now(),
              });
            } else if (ready.status !== wanted) {
              ready.status = wanted;
              ready.lastTransitionTime = this.registry.now();
            }
          }
          copy.status = {
            ...current,
            ...(status.phase ? { phase: status.phase } : {}),
            conditions,
          };
          return copy;
        },
        { subresource: 'status' },
      ),
    );
  }

  /** Marks every bound, running daemon pod of the DaemonSet Ready (`markPodsReady`). */
  readyAll(dsName: string): void {
    for (const pod of this.daemonPods(dsName)) {
      if (!obj(pod.spec).nodeName || pod.metadata.deletionTimestamp) continue;
      this.setPodStatus(pod.metadata.name ?? '', { phase: 'Running', ready: true });
    }
  }

  /** Binds pending pods and marks them Ready: what scheduler and kubelet do next. */
  runPods(dsName: string): void {
    this.bindAll();
    this.readyAll(dsName);
  }

  /** The kubelet finishing graceful deletions: pods being deleted go away. */
  finishTerminating(): void {
    for (const pod of this.pods()) {
      if (!pod.metadata.deletionTimestamp) continue;
      this.registry.asTest(() =>
        this.registry.delete(podsType, 'default', pod.metadata.name ?? '', {
          gracePeriodSeconds: 0,
        }),
      );
    }
  }

  /** A user's `kubectl delete pod`. */
  deletePod(name: string, options: DeleteOptions = {}): void {
    this.registry.asTest(() => this.registry.delete(podsType, 'default', name, options));
  }
}
