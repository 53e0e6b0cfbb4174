/**
 * Runs the embedded cluster's controllers, as kube-controller-manager runs its own: shared
 * informers, one work queue per controller, `processNextWorkItem` semantics (a failed sync is
 * retried with per-key backoff, a successful one forgets the key).
 *
 * Unlike kube-controller-manager's goroutines, one loop takes keys from every queue in turn and
 * delivers the store's watch events after each sync, so caches never lag a controller's own
 * writes and a cluster started with the same seed and clock does the same things in the same
 * order. The loop yields to the event loop every few milliseconds so the API server stays
 * responsive while thousands of pods are made.
 *
 * A queue's turn lasts until it is empty (at most `TURN_KEYS` keys), keys added during the turn
 * included, as a controller whose workers run while events arrive would drain them. What other
 * controllers queue meanwhile waits for their turn, where repeated adds of one key have become
 * one sync: when the kubelets post 5,000 pod statuses, the DaemonSet controller syncs its
 * DaemonSet a few times, not 5,000 times (its sync is O(nodes), so that is the difference between
 * O(nodes) and O(nodes²)). Upstream gets the same batching from time: events that arrive while a
 * sync runs are folded into the next one.
 */
import type { Clock } from '../../base/clock';
import type { Random } from '../../base/random';
import type { Registry } from '../../apiserver/registry/registry';
import { InformerFactory } from './informer';
import { EventRecorder, type EventSource } from './events';
import { WorkQueue } from './queue';

export interface ControllerContext {
  readonly registry: Registry;
  readonly informers: InformerFactory;
  readonly clock: Clock;
  readonly random: Random;
  /** A work queue whose keys the manager passes to `sync`; a throw retries the key with backoff. */
  queue(name: string, sync: (key: string) => void): WorkQueue;
  /** An event recorder for one component (e.g. `daemonset-controller`). */
  recorder(source: EventSource): EventRecorder;
  log(line: string): void;
}

/** What a controller may do when the manager starts and stops it. */
export interface Controller {
  start?(): void;
  stop?(): void;
}

export interface ControllerManagerOptions {
  readonly registry: Registry;
  readonly clock: Clock;
  readonly random: Random;
  readonly log?: (line: string) => void;
  /** Runs a callback on a later turn of the event loop (setImmediate by default). */
  readonly defer?: (callback: () => void) => void;
  /** Milliseconds of work per turn of the event loop before yielding. */
  readonly sliceMs?: number;
}

/**
 * Most keys one queue's turn takes before the next queue's turn, so that a controller re-adding
 * its own keys cannot starve the others.
 */
export const TURN_KEYS = 1024;

interface Registered {
  readonly queue: WorkQueue;
  readonly sync: (key: string) => void;
}

export class ControllerManager {
  readonly context: ControllerContext;
  private readonly informers: InformerFactory;
  private readonly queues: Registered[] = [];
  private readonly controllers: Controller[] = [];
  /** The queue whose turn it is, and how many more keys its turn may take. */
  private turn = -1;
  private turnLeft = 0;
  private scheduled = false;
  private running = false;
  private stopped = false;
  private settleWaiters: Array<() => void> = [];
  private readonly defer: (callback: () => void) => void;
  private readonly sliceMs: number;
  private readonly log: (line: string) => void;

  constructor(private readonly options: ControllerManagerOptions) {
    this.informers = new InformerFactory(options.registry.store);
    this.defer = options.defer ?? ((callback) => setImmediate(callback));
    this.sliceMs = options.sliceMs ?? 8;
    this.log = options.log ?? (() => undefined);
    const recorders = new Map<string, EventRecorder>();
    this.context = {
      registry: options.registry,
      informers: this.informers,
      clock: options.clock,
      random: options.random,
      queue: (name, sync) => {
        const queue = new WorkQueue(name, options.clock);
        queue.attach(() => this.wake());
        this.queues.push({ queue, sync });
        return queue;
      },
      recorder: (source) => {
        const id = `${source.component}/${source.host ?? ''}`;
        let recorder = recorders.get(id);
        if (!recorder) {
          recorder = new EventRecorder(options.registry, options.clock, options.random, source);
          recorders.set(id, recorder);
        }
        return recorder;
      },
      log: this.log,
    };
  }

  /** Adds a controller built on this manager's context (before `start`). */
  add<T extends Controller>(make: (context: ControllerContext) => T): T {
    const controller = make(this.context);
    this.controllers.push(controller);
    return controller;
  }

  /** Starts the informers (their initial lists fill the queues), then the controllers. */
  start(): void {
    this.informers.start();
    for (const controller of this.controllers) controller.start?.();
    this.wake();
  }

  stop(): void {
    this.stopped = true;
    for (const controller of this.controllers) controller.stop?.();
    for (const { queue } of this.queues) queue.shutdown();
    this.informers.stop();
    this.resolveSettled();
  }

  /** True when no queue holds a key (delayed keys aside) and no watch event is undelivered. */
  get idle(): boolean {
    return !this.running && this.queues.every(({ queue }) => queue.length === 0);
  }

  /**
   * Resolves once the controllers have nothing left to do now: every queue empty and every
   * watch event delivered. Keys waiting on a delay (addAfter) do not count: with a fake clock,
   * advance it and settle again.
   */
  settle(): Promise<void> {
    this.options.registry.store.flush();
    if (this.stopped || (this.idle && !this.scheduled)) return Promise.resolve();
    return new Promise((resolve) => this.settleWaiters.push(resolve));
  }

  private wake(): void {
    if (this.scheduled || this.running || this.stopped) return;
    this.scheduled = true;
    this.defer(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.stopped) return;
    this.running = true;
    const store = this.options.registry.store;
    const started = performance.now();
    try {
      store.flush();
      for (;;) {
        const item = this.nextItem();
        if (!item) break;
        this.process(item.registered, item.key);
        store.flush();
        if (performance.now() - started > this.sliceMs) {
          this.running = false;
          this.wake();
          return;
        }
      }
    } finally {
      this.running = false;
    }
    if (this.idle) this.resolveSettled();
  }

  /**
   * Turns over the queues in order: the queue whose turn it is gives keys until it is empty or
   * has given `TURN_KEYS`, then the next non-empty queue's turn begins, so one busy controller
   * cannot starve the others and events for a key that is waiting for its turn fold into one sync.
   */
  private nextItem(): { registered: Registered; key: string } | undefined {
    const count = this.queues.length;
    if (this.turnLeft > 0) {
      const registered = this.queues[this.turn]!;
      const key = registered.queue.take();
      if (key !== undefined) {
        this.turnLeft--;
        return { registered, key };
      }
    }
    for (let i = 1; i <= count; i++) {
      const index = (this.turn + i) % count;
      const registered = this.queues[index]!;
      const key = registered.queue.take();
      if (key !== undefined) {
        this.turn = index;
        this.turnLeft = TURN_KEYS - 1;
        return { registered, key };
      }
    }
    this.turnLeft = 0;
    return undefined;
  }

  private process(registered: Registered, key: string): void {
    const { queue, sync } = registered;
    try {
      sync(key);
      queue.forget(key);
    } catch (error) {
      this.log(
        `${queue.name}: error syncing "${key}", retrying: ${error instanceof Error ? error.message : String(error)}`,
      );
      queue.addRateLimited(key);
    } finally {
      queue.done(key);
    }
  }

  private resolveSettled(): void {
    const waiters = this.settleWaiters;
    this.settleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
