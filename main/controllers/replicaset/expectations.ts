/**
 * The ReplicaSet controller's memory outside the API, after pkg/controller/controller_utils.go
 * (`ControllerExpectations`, `UIDTrackingControllerExpectations`): before creating or deleting
 * pods it records how many adds and which deletes it expects to see; until its informer has seen
 * them (or five minutes passed on the injected clock) it does not create or delete again for the
 * same ReplicaSet, so it never acts twice on one decision. Rebuilt from nothing after a restart,
 * like upstream's.
 */
import type { Clock } from '../../base/clock';

/** `controller.ExpectationsTimeout`. */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60_000;

interface Expectation {
  add: number;
  del: number;
  timestamp: number;
  /** The pod keys (`namespace/name`) whose deletion is expected (the UID-tracking part). */
  deleting: Set<string>;
}

export class UidTrackingExpectations {
  private readonly entries = new Map<string, Expectation>();

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs = EXPECTATIONS_TIMEOUT_MS,
  ) {}

  /** `GetExpectations`. */
  get(key: string): { readonly add: number; readonly del: number } | undefined {
    const entry = this.entries.get(key);
    return entry ? { add: entry.add, del: entry.del } : undefined;
  }

  /** `SatisfiedExpectations`: none recorded, all observed, or older than the timeout. */
  satisfied(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return true;
    if (entry.add <= 0 && entry.del <= 0) return true;
    return this.clock.now() - entry.timestamp > this.timeoutMs;
  }

  /** `ExpectCreations`: `SetExpectations(key, n, 0)`, replacing what was expected. */
  expectCreations(key: string, count: number): void {
    const deleting = this.entries.get(key)?.deleting ?? new Set<string>();
    this.entries.set(key, { add: count, del: 0, timestamp: this.clock.now(), deleting });
  }

  /** `UIDTrackingControllerExpectations.ExpectDeletions`: remembers which pods must go. */
  expectDeletions(key: string, podKeys: readonly string[]): void {
    const deleting = new Set(podKeys);
    this.entries.set(key, { add: 0, del: deleting.size, timestamp: this.clock.now(), deleting });
  }

  /** `CreationObserved`. */
  creationObserved(key: string): void {
    const entry = this.entries.get(key);
    if (entry) entry.add--;
  }

  /** `UIDTrackingControllerExpectations.DeletionObserved`: counts only an expected pod, once. */
  deletionObserved(key: string, podKey: string): void {
    const entry = this.entries.get(key);
    if (!entry || !entry.deleting.delete(podKey)) return;
    entry.del--;
  }

  /** `DeleteExpectations`: the ReplicaSet is gone. */
  delete(key: string): void {
    this.entries.delete(key);
  }
}
