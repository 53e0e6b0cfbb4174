/**
 * The embedded cluster's kube-controller-manager, kube-scheduler and kubelets: one
 * ControllerManager running every controller over the registry. The order of `add` is the
 * order their handlers see the informers' initial lists (the garbage collector's graph must be
 * built from the first event).
 */
import type { Random } from '../base/random';
import type { SimulatedClock } from '../base/clock';
import type { Registry } from '../apiserver/registry/registry';
import type { AdvanceableClock, PodRuntime } from '../apiserver/http/resources';
import { ControllerManager } from '../controllers/runtime/manager';
import { GarbageCollector } from '../controllers/gc/garbage-collector';
import { DaemonSetController } from '../controllers/daemonset/daemonset-controller';
import { DeploymentController } from '../controllers/deployment/deployment-controller';
import { ReplicaSetController } from '../controllers/replicaset/replica-set';
import { Scheduler } from '../controllers/scheduler/scheduler';
import { KubeletController } from '../controllers/kubelet';
import { NodeLifecycleController } from '../controllers/nodelifecycle/node-lifecycle-controller';
import { TaintEvictionController } from '../controllers/nodelifecycle/taint-eviction-controller';
import { PodGCController } from '../controllers/podgc/podgc-controller';
import { EndpointsController } from '../controllers/endpoints/endpoints-controller';

export interface ClusterControllers {
  readonly manager: ControllerManager;
  /** Container logs for the API server's pods/log. */
  readonly runtime: PodRuntime;
  /** The clock as `kubelab cluster advance` moves it: in steps, controllers acting between. */
  readonly advanceable: AdvanceableClock;
  start(): void;
  stop(): void;
}

export interface ClusterControllersOptions {
  readonly registry: Registry;
  readonly clock: SimulatedClock;
  readonly random: Random;
  readonly controlPlaneNode: string;
  readonly log?: (line: string) => void;
}

/** Cluster time moved per step of an advance; controllers settle after each. */
const ADVANCE_STEP_MS = 1000;

export function createControllers(options: ClusterControllersOptions): ClusterControllers {
  const manager = new ControllerManager({
    registry: options.registry,
    clock: options.clock,
    random: options.random,
    ...(options.log ? { log: options.log } : {}),
  });
  manager.add((ctx) => new GarbageCollector(ctx));
  manager.add((ctx) => new NodeLifecycleController(ctx));
  manager.add((ctx) => new TaintEvictionController(ctx));
  manager.add((ctx) => new PodGCController(ctx));
  manager.add((ctx) => new DeploymentController(ctx));
  manager.add((ctx) => new ReplicaSetController(ctx));
  manager.add((ctx) => new DaemonSetController(ctx));
  manager.add((ctx) => new Scheduler(ctx, { controlPlaneNode: options.controlPlaneNode }));
  const kubelet = manager.add((ctx) => new KubeletController(ctx));
  manager.add((ctx) => new EndpointsController(ctx));

  // Advances run one at a time, in steps, so that what a controller does in reaction to a
  // timer (a node marked NotReady, then its pods evicted 300 s later) happens at its time.
  let advancing: Promise<void> = Promise.resolve();
  const advanceable: AdvanceableClock = {
    get offset() {
      return options.clock.offset;
    },
    advance(ms: number): Promise<void> {
      const run = async (): Promise<void> => {
        await manager.settle();
        for (let remaining = ms; remaining > 0;) {
          const step = Math.min(ADVANCE_STEP_MS, remaining);
          options.clock.advance(step);
          remaining -= step;
          await manager.settle();
        }
      };
      advancing = advancing.then(run, run);
      return advancing;
    },
  };

  return {
    manager,
    runtime: kubelet.runtime,
    advanceable,
    start: () => manager.start(),
    stop: () => manager.stop(),
  };
}
