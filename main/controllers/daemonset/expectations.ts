/**
 * The two pieces of memory upstream controllers keep outside the API, both rebuilt from nothing
 * after a restart: creation/deletion expectations (pkg/controller/controller_utils.go
 * ControllerExpectations) and a per-key exponential backoff (k8s.io/client-go/util/flowcontrol
 * Backoff). Both read the injected clock.
 */
import type { Clock } from '../../base/clock';

/** `controller.ExpectationsTimeout`: expectations older than this count as satisfied. */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60_000;

interface Expectation {
  add: number;
  del: number;
  timestamp: number;
}

/**
 * `ControllerExpectations`: before creating or deleting N pods a controller records that it
 * expects to see N adds or deletes; until its informer has seen them (or five minutes passed)
 * it does not act again on the same owner, so a lagging cache cannot make it act twice.
 */
export class ControllerExpectations {
  private readonly entries = new Map<string, Expectation>();

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs = EXPECTATIONS_TIMEOUT_MS,
  ) {}

  /** `GetExpectations`: the pending adds and deletes, if any were set. */
  get(key: string): { readonly add: number; readonly del: number } | undefined {
    const entry = this.entries.get(key);
    return entry ? { add: entry.add, del: entry.del } : undefined;
  }

  /** `SatisfiedExpectations`: none set, all observed, or expired. */
  satisfied(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return true;
    if (entry.add <= 0 && entry.del <= 0) return true;
    return this.clock.now() - entry.timestamp > this.timeoutMs;
  }

  /** `SetExpectations`: replaces whatever was expected before. */
  set(key: string, add: number, del: number): void {
    this.entries.set(key, { add, del, timestamp: this.clock.now() });
  }

  /** `LowerExpectations`. */
  lower(key: string, add: number, del: number): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.add -= add;
    entry.del -= del;
  }

  /** `CreationObserved`. */
  creationObserved(key: string): void {
    this.lower(key, 1, 0);
  }

  /** `DeletionObserved`. */
  deletionObserved(key: string): void {
    this.lower(key, 0, 1);
  }

  /** `DeleteExpectations`: the owner is gone (or was recreated). */
  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}

interface BackoffEntry {
  backoff: number;
  lastUpdate: number;
}

/**
 * `flowcontrol.Backoff` without jitter (kube-controller-manager builds the DaemonSet one with
 * `flowcontrol.NewBackOff(1s, 15m)`): each `next` doubles an id's delay up to the maximum; an
 * id untouched for twice the maximum starts over. Upstream garbage-collects stale ids every
 * minute on a timer; this does it on each `next`, which forgets exactly the same ids.
 */
export class Backoff {
  private readonly entries = new Map<string, BackoffEntry>();

  constructor(
    private readonly clock: Clock,
    readonly initialMs: number,
    readonly maxMs: number,
  ) {}

  /** `Get`: the id's current delay (0 when it has none). */
  get(id: string): number {
    return this.entries.get(id)?.backoff ?? 0;
  }

  /** `IsInBackOffSinceUpdate`: less than the current delay has passed since the last `next`. */
  isInBackOffSinceUpdate(id: string, eventTime: number): boolean {
    const entry = this.entries.get(id);
    if (!entry || this.expired(eventTime, entry)) return false;
    return eventTime - entry.lastUpdate < entry.backoff;
  }

  /** `Next`: starts or doubles the id's delay. */
  next(id: string, eventTime: number): void {
    this.gc();
    let entry = this.entries.get(id);
    if (!entry || this.expired(eventTime, entry)) {
      entry = { backoff: this.initialMs, lastUpdate: 0 };
      this.entries.set(id, entry);
    } else {
      entry.backoff = Math.min(entry.backoff * 2, this.maxMs);
    }
    entry.lastUpdate = this.clock.now();
  }

  /** `GC`: forgets ids not updated for twice the maximum delay. */
  gc(): void {
    const now = this.clock.now();
    for (const [id, entry] of this.entries) {
      if (this.expired(now, entry)) this.entries.delete(id);
    }
  }

  clear(): void {
    this.entries.clear();
  }

  private expired(eventTime: number, entry: BackoffEntry): boolean {
    return eventTime - entry.lastUpdate > this.maxMs * 2;
  }
}
