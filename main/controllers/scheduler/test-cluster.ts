/**
 * A small cluster for the scheduler's tests: a MemoryStore and a Registry on a FakeClock with
 * seeded randomness, a ControllerManager running only the scheduler, and builders for kind-like
 * nodes, pods and ReplicaSets written through the registry.
 */
import { FakeClock } from '../../base/clock';
import { seededRandom } from '../../base/random';
import { isPlainObject, type KubeObject } from '../../kube/objects';
import { findResource } from '../../kube/resources';
import { Registry } from '../../apiserver/registry/registry';
import { MemoryStore } from '../../apiserver/store/store';
import { ControllerManager } from '../runtime/manager';
import { Scheduler } from './scheduler';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});

export const podsType = findResource('', 'v1', 'pods')!;
export const nodesType = findResource('', 'v1', 'nodes')!;
export const eventsType = findResource('', 'v1', 'events')!;
export const replicaSetsType = findResource('apps', 'v1', 'replicasets')!;
const namespacesType = findResource('', 'v1', 'namespaces')!;
const serviceAccountsType = findResource('', 'v1', 'serviceaccounts')!;

export const CONTROL_PLANE = 'kind-control-plane';
export const CONTROL_PLANE_TAINT = {
  key: 'node-role.kubernetes.io/control-plane',
  effect: 'NoSchedule',
};

export interface NodeOptions {
  readonly labels?: Record<string, string>;
  readonly taints?: Array<{ key: string; value?: string; effect: string }>;
  readonly unschedulable?: boolean;
  readonly cpu?: string;
  readonly memory?: string;
  readonly pods?: string;
  readonly images?: Array<{ names: string[]; sizeBytes: number }>;
}

export interface ScheduledEvent {
  readonly reason: string;
  readonly message: string;
  readonly type: string;
  readonly action: string;
  readonly reportingInstance: string;
  readonly reportingComponent: string;
  readonly name: string;
}

export class TestCluster {
  readonly clock = new FakeClock(Date.UTC(2026, 0, 1));
  readonly registry: Registry;
  readonly manager: ControllerManager;
  readonly scheduler: Scheduler;

  constructor(seed = 1, options: { readonly start?: boolean } = {}) {
    const store = new MemoryStore();
    this.registry = new Registry({ store, clock: this.clock, random: seededRandom(seed) });
    this.registry.create(namespacesType, '', { metadata: { name: 'default' } });
    this.registry.create(serviceAccountsType, 'default', { metadata: { name: 'default' } });
    this.manager = new ControllerManager({
      registry: this.registry,
      clock: this.clock,
      random: seededRandom(seed * 7919 + 1),
    });
    this.scheduler = this.manager.add(
      (ctx) => new Scheduler(ctx, { controlPlaneNode: CONTROL_PLANE }),
    );
    if (options.start !== false) this.manager.start();
  }

  start(): void {
    this.manager.start();
  }

  settle(): Promise<void> {
    return this.manager.settle();
  }

  /** Moves the clock in one-second steps (firing each timer), settling after each. */
  async advance(ms: number): Promise<void> {
    for (let left = ms; left > 0; left -= 1000) {
      this.clock.advance(Math.min(1000, left));
      await this.manager.settle();
    }
  }

  node(name: string, options: NodeOptions = {}): KubeObject {
    const allocatable = {
      cpu: options.cpu ?? '8',
      'ephemeral-storage': '102350Mi',
      memory: options.memory ?? '16336052Ki',
      pods: options.pods ?? '110',
    };
    return this.registry.create(nodesType, '', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: {
          'kubernetes.io/arch': 'amd64',
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          ...options.labels,
        },
      },
      spec: {
        ...(options.taints ? { taints: options.taints } : {}),
        ...(options.unschedulable ? { unschedulable: true } : {}),
      },
      status: {
        allocatable,
        capacity: allocatable,
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }],
        ...(options.images ? { images: options.images } : {}),
      },
    } as KubeObject);
  }

  /** A kind cluster: the tainted control plane and `workers` equal workers. */
  kind(workers: number, options: NodeOptions = {}): string[] {
    this.node(CONTROL_PLANE, {
      labels: { 'node-role.kubernetes.io/control-plane': '' },
      taints: [CONTROL_PLANE_TAINT],
    });
    const names: string[] = [];
    for (let i = 1; i <= workers; i++) {
      const name = `kind-worker${i === 1 ? '' : i}`;
      this.node(name, options);
      names.push(name);
    }
    return names;
  }

  modifyNode(name: string, change: (node: KubeObject) => void): void {
    this.registry.modify(nodesType, '', name, (copy) => {
      change(copy);
      return copy;
    });
  }

  pod(
    name: string,
    spec: Obj = {},
    metadata: Partial<KubeObject['metadata']> = {},
    container: Obj = {},
  ): KubeObject {
    return this.registry.create(podsType, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, ...metadata },
      spec: { containers: [{ name: 'app', image: 'nginx', ...container }], ...spec },
    } as KubeObject);
  }

  replicaSet(name: string, labels: Record<string, string>): KubeObject {
    return this.registry.create(replicaSetsType, 'default', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name, labels },
      spec: {
        replicas: 3,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'app', image: 'nginx' }] },
        },
      },
    } as KubeObject);
  }

  /** A pod as the ReplicaSet controller makes it: owned by the ReplicaSet, with its labels. */
  replica(rs: KubeObject, name: string, spec: Obj = {}): KubeObject {
    return this.pod(name, spec, {
      labels: { ...(rs.metadata.labels ?? {}) },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: rs.metadata.name ?? '',
          uid: rs.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
  }

  get(name: string): KubeObject {
    return this.registry.get(podsType, 'default', name);
  }

  nodeOf(name: string): string {
    const nodeName = obj(this.get(name).spec).nodeName;
    return typeof nodeName === 'string' ? nodeName : '';
  }

  condition(name: string): Obj | undefined {
    const conditions = obj(this.get(name).status).conditions;
    return Array.isArray(conditions)
      ? (conditions as unknown[]).filter(isPlainObject).find((c) => c.type === 'PodScheduled')
      : undefined;
  }

  /** The scheduler's events about a pod, oldest first. */
  events(pod: string): ScheduledEvent[] {
    return (this.registry.list(eventsType, 'default').items as unknown as Array<Obj>)
      .filter((e) => obj(e.involvedObject).name === pod)
      .map((e) => ({
        reason: String(e.reason),
        message: String(e.message),
        type: String(e.type),
        action: String(e.action),
        reportingInstance: String(e.reportingInstance),
        reportingComponent: String(e.reportingComponent),
        name: String(obj(e.metadata).name),
        version: Number(obj(e.metadata).resourceVersion),
      }))
      .sort((a, b) => a.version - b.version);
  }

  /** The message of the last FailedScheduling event about a pod. */
  lastFailure(pod: string): string | undefined {
    return this.events(pod)
      .filter((e) => e.reason === 'FailedScheduling')
      .at(-1)?.message;
  }
}
