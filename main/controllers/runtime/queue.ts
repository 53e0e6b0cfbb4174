/**
 * A controller's work queue, after client-go's rate-limited workqueue
 * (k8s.io/client-go/util/workqueue): a key is queued at most once at a time, a key being
 * processed and added again is processed once more afterwards, `addAfter` delays on the injected
 * clock, and `addRateLimited` backs off per key exponentially (DefaultControllerRateLimiter's
 * ItemExponentialFailureRateLimiter: 5 ms doubling up to 1000 s) until `forget`.
 *
 * Queues do not run themselves: the ControllerManager takes keys from all of them in turn, so a
 * cluster's work happens in one deterministic order.
 */
import type { Cancel, Clock } from '../../base/clock';
import { Queue } from '../../base/queue';

const BASE_DELAY_MS = 5;
const MAX_DELAY_MS = 1000 * 1000;

export class WorkQueue {
  private readonly queue = new Queue<string>();
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  /** Added while being processed: queued again when `done` is called. */
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, { due: number; cancel: Cancel }>();
  private onReady: () => void = () => undefined;

  constructor(
    readonly name: string,
    private readonly clock: Clock,
  ) {}

  /** Called by the manager: `wake` runs whenever a key becomes ready. */
  attach(wake: () => void): void {
    this.onReady = wake;
  }

  get length(): number {
    return this.queue.length;
  }

  /** Keys waiting for a delay to pass. */
  get waiting(): number {
    return this.delayed.size;
  }

  add(key: string): void {
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.onReady();
  }

  /** Adds `key` after `ms` of cluster time; an earlier pending delay for it wins. */
  addAfter(key: string, ms: number): void {
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const due = this.clock.now() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.due <= due) return;
    pending?.cancel();
    const cancel = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { due, cancel });
  }

  /** Adds `key` after its next backoff: 5 ms, 10 ms, 20 ms … up to 1000 s. */
  addRateLimited(key: string): void {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    this.addAfter(key, Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** failures));
  }

  /** Clears the backoff of `key` (after a successful sync). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key to process, marked as processing; undefined when empty. */
  take(): string | undefined {
    const key = this.queue.shift();
    if (key === undefined) return undefined;
    this.queued.delete(key);
    this.processing.add(key);
    return key;
  }

  /** Marks `key` processed; if it was added meanwhile it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  shutdown(): void {
    for (const { cancel } of this.delayed.values()) cancel();
    this.delayed.clear();
    this.queue.clear();
    this.queued.clear();
  }
}
