/**
 * The node lifecycle controller's per-zone tainting queue, after
 * pkg/controller/nodelifecycle/scheduler/rate_limited_queue.go: a unique queue of node names
 * ordered by when they may be processed, drained by `try` under a token-bucket rate limiter
 * (client-go flowcontrol's TokenBucketRateLimiter over golang.org/x/time/rate), so a zone's
 * nodes get their NoExecute taints — and their pods evicted — at `--node-eviction-rate` (0.1 per
 * second: one node every 10 s) rather than all at once. Time is the injected clock's.
 */
import type { Clock } from '../../base/clock';

/** `scheduler.EvictionRateLimiterBurst`. */
export const EVICTION_RATE_LIMITER_BURST = 1;

/**
 * A token bucket (x/time/rate `Limiter` with `AllowN(now, 1)`): starts full, refills at `qps`
 * tokens a second up to `burst`. A qps ≤ 0 is `NewFakeNeverRateLimiter`: it never accepts.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly qps: number,
    private readonly burst: number,
    private readonly clock: Clock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  tryAccept(): boolean {
    if (this.qps <= 0) return false;
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is available (Infinity for a never-limiter). */
  msUntilToken(): number {
    if (this.qps <= 0) return Infinity;
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.qps) * 1000);
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
  }
}

/** One queued node (`TimedValue`). */
export interface TimedValue {
  readonly value: string;
  readonly uid: string;
  readonly addedAt: number;
  processAt: number;
}

/**
 * `RateLimitedTimedQueue` over a `UniqueQueue`: a value stays "known" after it is processed
 * (`removeFromQueue`) so it cannot be added again until `remove` forgets it — a node is tainted
 * once per unhealthy spell.
 */
export class RateLimitedTimedQueue {
  /** Ordered by processAt, ties in insertion order. */
  private queue: TimedValue[] = [];
  private readonly known = new Set<string>();
  private limiter: TokenBucket;

  constructor(
    qps: number,
    private readonly clock: Clock,
  ) {
    this.limiter = new TokenBucket(qps, EVICTION_RATE_LIMITER_BURST, clock);
  }

  get length(): number {
    return this.queue.length;
  }

  get qps(): number {
    return this.limiter.qps;
  }

  /** `Add`: queues the value to be processed now, unless it is already known. */
  add(value: string, uid: string): boolean {
    if (this.known.has(value)) return false;
    this.known.add(value);
    const now = this.clock.now();
    this.insert({ value, uid, addedAt: now, processAt: now });
    return true;
  }

  /** `Remove`: forgets the value, so it may be added again; false if it was unknown. */
  remove(value: string): boolean {
    if (!this.known.delete(value)) return false;
    this.queue = this.queue.filter((v) => v.value !== value);
    return true;
  }

  /** `RemoveFromQueue`: takes the value out of the queue but keeps it known. */
  private removeFromQueue(value: string): void {
    this.queue = this.queue.filter((v) => v.value !== value);
  }

  /**
   * `Try`: processes values in order while the limiter has tokens and their time has come.
   * `fn` answers true when done, or false and how long to wait before the next attempt.
   */
  try(fn: (value: TimedValue) => { readonly done: boolean; readonly waitMs: number }): void {
    let head = this.queue[0];
    while (head) {
      if (!this.limiter.tryAccept()) break;
      const now = this.clock.now();
      if (now < head.processAt) break;
      const { done, waitMs } = fn(head);
      if (done) {
        this.removeFromQueue(head.value);
      } else {
        this.removeFromQueue(head.value);
        this.insert({ ...head, processAt: now + waitMs + 1 });
      }
      head = this.queue[0];
    }
  }

  /** When `try` could next make progress, in ms from now (Infinity: never, until swapped). */
  msUntilNextTry(): number {
    const head = this.queue[0];
    if (!head) return Infinity;
    return Math.max(this.limiter.msUntilToken(), head.processAt - this.clock.now());
  }

  /**
   * `SwapLimiter`: a new rate (0 stops tainting). When the old limiter is out of tokens the new
   * one starts drained too, as upstream does for a burst of 1.
   */
  swapLimiter(qps: number): void {
    if (this.limiter.qps === qps) return;
    const next = new TokenBucket(qps, EVICTION_RATE_LIMITER_BURST, this.clock);
    if (qps > 0 && !this.limiter.tryAccept()) next.tryAccept();
    this.limiter = next;
  }

  private insert(value: TimedValue): void {
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.processAt > value.processAt) i--;
    this.queue.splice(i, 0, value);
  }
}
