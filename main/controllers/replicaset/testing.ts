/**
 * A small cluster for the Deployment and ReplicaSet controller tests: a registry on a fake clock,
 * the controller manager, and the test playing the scheduler (binding pods to nodes) and the
 * kubelet (Running and Ready through the status subresource, finishing graceful deletions) —
 * the real ones live elsewhere. Used by tests only.
 */
import { FakeClock } from '../../base/clock';
import { seededRandom } from '../../base/random';
import { deepCopy, type KubeObject } from '../../kube/objects';
import { findResource } from '../../kube/resources';
import { Registry, bucketOf } from '../../apiserver/registry/registry';
import { MemoryStore } from '../../apiserver/store/store';
import { ControllerManager } from '../runtime/manager';
import { DeploymentController } from '../deployment/deployment-controller';
import { ReplicaSetController, type ReplicaSetControllerOptions } from './replica-set';
import { obj, type Deployment, type ReplicaSet } from './types';

export const podsType = findResource('', 'v1', 'pods')!;
export const replicaSetsType = findResource('apps', 'v1', 'replicasets')!;
export const deploymentsType = findResource('apps', 'v1', 'deployments')!;
const namespacesType = findResource('', 'v1', 'namespaces')!;
export const serviceAccountsType = findResource('', 'v1', 'serviceaccounts')!;
const nodesType = findResource('', 'v1', 'nodes')!;

export interface RecordedEvent {
  readonly reason: string;
  readonly message: string;
  readonly type: string;
  readonly kind: string;
  readonly name: string;
  readonly component: string;
}

export interface HarnessOptions {
  readonly deployments?: boolean;
  readonly nodes?: readonly string[];
  readonly replicaSet?: ReplicaSetControllerOptions;
  /** Namespaces to create without a `default` ServiceAccount (pod creation then fails). */
  readonly namespacesWithoutServiceAccount?: readonly string[];
}

export class Harness {
  readonly clock = new FakeClock(Date.UTC(2026, 0, 1, 10, 0, 0));
  readonly store = new MemoryStore();
  readonly registry = new Registry({
    store: this.store,
    clock: this.clock,
    random: seededRandom(1),
  });
  readonly manager: ControllerManager;
  readonly replicaSetController: ReplicaSetController;
  readonly deploymentController: DeploymentController | undefined;
  /** Every event written, in order (an aggregated repeat appears again). */
  readonly events: RecordedEvent[] = [];
  readonly nodes: readonly string[];
  /** Pods the kubelet leaves not Ready (e.g. a bad image). */
  notReady: (pod: KubeObject) => boolean = () => false;
  /** When false the kubelet leaves terminating pods alone. */
  finishDeletions = true;
  /** What the controllers logged (failed syncs among it). */
  readonly logs: string[] = [];

  constructor(options: HarnessOptions = {}) {
    this.nodes = options.nodes ?? ['node-1', 'node-2', 'node-3'];
    this.registry.create(namespacesType, '', { metadata: { name: 'default' } });
    this.registry.create(serviceAccountsType, 'default', { metadata: { name: 'default' } });
    for (const name of options.namespacesWithoutServiceAccount ?? []) {
      this.registry.create(namespacesType, '', { metadata: { name } });
    }
    for (const name of this.nodes) {
      this.registry.create(nodesType, '', {
        metadata: { name, labels: { 'kubernetes.io/hostname': name } },
      });
    }
    this.store.watch({ resource: '/events' }, (event) => {
      if (event.type === 'DELETED') return;
      const e = event.object as KubeObject & {
        reason?: string;
        message?: string;
        type?: string;
        involvedObject?: { kind?: string; name?: string };
        source?: { component?: string };
        reportingComponent?: string;
      };
      this.events.push({
        reason: e.reason ?? '',
        message: e.message ?? '',
        type: e.type ?? '',
        kind: e.involvedObject?.kind ?? '',
        name: e.involvedObject?.name ?? '',
        component: e.source?.component ?? e.reportingComponent ?? '',
      });
    });
    this.manager = new ControllerManager({
      registry: this.registry,
      clock: this.clock,
      random: seededRandom(2),
      log: (line) => this.logs.push(line),
    });
    this.replicaSetController = this.manager.add(
      (ctx) => new ReplicaSetController(ctx, options.replicaSet),
    );
    this.deploymentController =
      options.deployments === false
        ? undefined
        : this.manager.add((ctx) => new DeploymentController(ctx));
  }

  start(): this {
    this.manager.start();
    return this;
  }

  stop(): void {
    this.manager.stop();
  }

  settle(): Promise<void> {
    return this.manager.settle();
  }

  /** Moves the clock and lets the controllers do what fell due. */
  async advance(ms: number): Promise<void> {
    this.clock.advance(ms);
    await this.settle();
  }

  // -------------------------------------------------------------------------------------------
  // Reads

  pods(namespace = 'default'): KubeObject[] {
    return [...this.registry.list(podsType, namespace).items];
  }

  activePods(namespace = 'default'): KubeObject[] {
    return this.pods(namespace).filter((p) => !p.metadata.deletionTimestamp);
  }

  podsOf(rs: KubeObject): KubeObject[] {
    return this.pods(rs.metadata.namespace ?? 'default').filter((p) =>
      p.metadata.ownerReferences?.some((r) => r.uid === rs.metadata.uid && r.controller),
    );
  }

  replicaSets(namespace = 'default'): ReplicaSet[] {
    return [...this.registry.list(replicaSetsType, namespace).items] as ReplicaSet[];
  }

  replicaSet(name: string, namespace = 'default'): ReplicaSet {
    return this.registry.get(replicaSetsType, namespace, name) as ReplicaSet;
  }

  deployment(name: string, namespace = 'default'): Deployment {
    return this.registry.get(deploymentsType, namespace, name) as Deployment;
  }

  /** `name=spec.replicas` of every ReplicaSet, by name. */
  sizes(namespace = 'default'): Record<string, number> {
    const out: Record<string, number> = {};
    for (const rs of this.replicaSets(namespace)) out[rs.metadata.name!] = rs.spec.replicas ?? 0;
    return out;
  }

  eventMessages(reason: string): string[] {
    return this.events.filter((e) => e.reason === reason).map((e) => e.message);
  }

  // -------------------------------------------------------------------------------------------
  // Writes as a user would make them

  createDeployment(
    name: string,
    spec: Partial<Deployment['spec']> & { image?: string } = {},
    namespace = 'default',
  ): Deployment {
    const { image, ...rest } = spec;
    return this.registry.create(
      deploymentsType,
      namespace,
      {
        metadata: { name },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name: 'web', image: image ?? 'nginx:1.25' }] },
          },
          ...rest,
        },
      },
      { fieldManager: 'kubectl-client-side-apply' },
    ) as Deployment;
  }

  createReplicaSet(
    name: string,
    replicas: number,
    extra: { labels?: Record<string, string>; minReadySeconds?: number } = {},
    namespace = 'default',
  ): ReplicaSet {
    const labels = extra.labels ?? { app: name };
    return this.registry.create(replicaSetsType, namespace, {
      metadata: { name, labels },
      spec: {
        replicas,
        ...(extra.minReadySeconds ? { minReadySeconds: extra.minReadySeconds } : {}),
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] },
        },
      },
    }) as ReplicaSet;
  }

  /** `kubectl set image deployment/<name> web=<image>`. */
  setImage(name: string, image: string, namespace = 'default'): void {
    this.registry.modify(deploymentsType, namespace, name, (copy) => {
      const d = copy as Deployment;
      const containers = obj(d.spec.template?.spec).containers as Array<Record<string, unknown>>;
      containers[0]!.image = image;
      return d;
    });
  }

  /** `kubectl scale deployment/<name> --replicas=N` (or a ReplicaSet). */
  scale(
    type: 'deployment' | 'replicaset',
    name: string,
    replicas: number,
    namespace = 'default',
  ): void {
    this.registry.modify(
      type === 'deployment' ? deploymentsType : replicaSetsType,
      namespace,
      name,
      (copy) => {
        (copy as Deployment).spec.replicas = replicas;
        return copy;
      },
    );
  }

  /** Any change to a Deployment (`kubectl patch`). */
  patchDeployment(name: string, mutate: (d: Deployment) => void, namespace = 'default'): void {
    this.registry.modify(deploymentsType, namespace, name, (copy) => {
      mutate(copy as Deployment);
      return copy;
    });
  }

  // -------------------------------------------------------------------------------------------
  // The scheduler and the kubelet, played by the test

  /**
   * Binds a pod to a node. The scheduler's write is pods/binding; pod update validation refuses a
   * changed `spec.nodeName` on a plain update, so the test writes the store as binding does.
   */
  bind(pod: KubeObject, node: string): void {
    this.store.guaranteedUpdate(
      {
        resource: bucketOf(podsType),
        namespace: pod.metadata.namespace ?? '',
        name: pod.metadata.name ?? '',
      },
      (current) => {
        const next = deepCopy(current);
        next.spec = { ...obj(next.spec), nodeName: node };
        const status = obj(next.status);
        const conditions = (Array.isArray(status.conditions) ? status.conditions : []).filter(
          (c) => obj(c).type !== 'PodScheduled',
        );
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

  /** The kubelet reports a pod Running and Ready (status subresource). */
  markReady(pod: KubeObject, ready = true): void {
    const now = this.registry.now();
    this.registry.modify(
      podsType,
      pod.metadata.namespace ?? '',
      pod.metadata.name ?? '',
      (copy) => {
        const status = obj(copy.status);
        const scheduled = (Array.isArray(status.conditions) ? status.conditions : []).filter(
          (c) => obj(c).type === 'PodScheduled',
        );
        const value = ready ? 'True' : 'False';
        copy.status = {
          ...status,
          phase: 'Running',
          conditions: [
            { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: now },
            { type: 'Ready', status: value, lastProbeTime: null, lastTransitionTime: now },
            {
              type: 'ContainersReady',
              status: value,
              lastProbeTime: null,
              lastTransitionTime: now,
            },
            ...scheduled,
          ],
          startTime: now,
          containerStatuses: [
            { name: 'web', ready, restartCount: 0, started: true, image: 'nginx', imageID: '' },
          ],
        };
        return copy;
      },
      { subresource: 'status', fieldManager: 'kubelet' },
    );
  }

  /**
   * One pass of scheduler and kubelets: binds unbound pods (round robin over the nodes, by pod
   * name), makes bound pods Running and Ready (unless `notReady`), and finishes graceful
   * deletions. Returns how many pods it changed.
   */
  kubelet(namespace = 'default'): number {
    let changed = 0;
    let next = 0;
    const pods = this.pods(namespace).sort((a, b) =>
      a.metadata.name! < b.metadata.name! ? -1 : 1,
    );
    for (const pod of pods) {
      if (pod.metadata.deletionTimestamp) {
        if (this.finishDeletions) {
          this.registry.forceDelete(podsType, namespace, pod.metadata.name!, pod.metadata.uid);
          changed++;
        }
        continue;
      }
      const spec = obj(pod.spec);
      if (!spec.nodeName) {
        this.bind(pod, this.nodes[next++ % this.nodes.length]!);
        changed++;
        continue;
      }
      const phase = obj(pod.status).phase;
      if (phase === 'Pending' && !this.notReady(pod)) {
        this.markReady(pod);
        changed++;
      }
    }
    return changed;
  }

  /** Settles, lets the kubelet act, and again, until nothing moves (at most `rounds` rounds). */
  async converge(rounds = 50, namespace = 'default'): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      await this.settle();
      if (this.kubelet(namespace) === 0) return;
    }
    await this.settle();
  }
}
