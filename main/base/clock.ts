/**
 * Time comes in through constructors (DESIGN.md rule 5) so controllers, heartbeats and tests share
 * one notion of "now" and a lab can fast-forward it. Modelled on KWOK's injected `clock.Clock`.
 */
import { TimerHeap } from './timer-heap';

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `callback` after `ms` milliseconds of this clock's time; returns a cancel function. */
  setTimeout(callback: () => void, ms: number): Cancel;
  /** Runs `callback` every `ms` milliseconds of this clock's time; returns a cancel function. */
  setInterval(callback: () => void, ms: number): Cancel;
}

export type Cancel = () => void;

/** The wall clock, backed by the host's timers. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const handle = globalThis.setTimeout(callback, ms);
    return () => globalThis.clearTimeout(handle);
  },
  setInterval(callback, ms) {
    const handle = globalThis.setInterval(callback, ms);
    return () => globalThis.clearInterval(handle);
  },
};

/**
 * Resolves after `ms` of `clock`'s time; rejects with the signal's reason (or `cancelled`) as soon
 * as `signal` aborts, and cancels its timer then.
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      cancel();
      reject(signal?.reason instanceof Error ? signal.reason : new Error('cancelled'));
    };
    const cancel = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A clock that moves only when told to. `advance` fires every timer that falls due, in order of due
 * time (ties in order of creation), with `now()` reading each timer's due time while it runs.
 */
export class FakeClock implements Clock {
  private current: number;
  private readonly timers = new TimerHeap();

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): Cancel {
    return this.add(callback, ms, undefined);
  }

  setInterval(callback: () => void, ms: number): Cancel {
    return this.add(callback, ms, Math.max(1, ms));
  }

  /** How many timers are waiting. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing due timers on the way. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (let timer = this.timers.takeDue(target); timer; timer = this.timers.takeDue(target)) {
      this.current = timer.due;
      timer.callback();
    }
    this.current = target;
  }

  private add(callback: () => void, ms: number, every: number | undefined): Cancel {
    const timer = this.timers.add(callback, this.current + Math.max(0, ms), every);
    return () => this.timers.cancel(timer);
  }
}

/**
 * The embedded cluster's clock: the base clock (the wall clock in the app, a FakeClock in tests)
 * plus the time the cluster has been advanced. `advance` fires every timer that falls due on the
 * way, in order, with `now()` reading each timer's due time, so a lab can skip the 40 s of a node
 * going NotReady and the 300 s before its pods are evicted and see each step happen as it would
 * have. The API server shows stored timestamps shifted back by `offset`, so that to a client the
 * world has aged while the present stays the wall clock's (kubectl computes some ages itself).
 */
export class SimulatedClock implements Clock {
  private advanced: number;
  /** While `advance` runs: the due time of the timer being fired. */
  private pinned: number | undefined;
  private readonly timers = new TimerHeap();
  private cancelWake: Cancel | undefined;

  constructor(
    private readonly base: Clock,
    options: { readonly offset?: number } = {},
  ) {
    this.advanced = options.offset ?? 0;
  }

  now(): number {
    return this.pinned ?? this.base.now() + this.advanced;
  }

  /** How far (ms) the cluster has been advanced ahead of the base clock. */
  get offset(): number {
    return this.advanced;
  }

  setTimeout(callback: () => void, ms: number): Cancel {
    return this.add(callback, ms, undefined);
  }

  setInterval(callback: () => void, ms: number): Cancel {
    return this.add(callback, ms, Math.max(1, ms));
  }

  /** Moves the cluster forward by `ms`, firing due timers on the way. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`cannot move the clock backwards: ${ms}`);
    if (this.pinned !== undefined) throw new Error('advance called from a timer callback');
    const target = this.now() + ms;
    try {
      for (let timer = this.timers.takeDue(target); timer; timer = this.timers.takeDue(target)) {
        this.pinned = Math.max(timer.due, this.pinned ?? 0);
        timer.callback();
      }
    } finally {
      this.pinned = undefined;
      this.advanced += ms;
      this.schedule();
    }
  }

  private add(callback: () => void, ms: number, every: number | undefined): Cancel {
    const timer = this.timers.add(callback, this.now() + Math.max(0, ms), every);
    if (this.pinned === undefined) this.schedule();
    return () => {
      this.timers.cancel(timer);
    };
  }

  /** Arms one base-clock timer for the earliest cluster timer. */
  private schedule(): void {
    this.cancelWake?.();
    this.cancelWake = undefined;
    const next = this.timers.peek();
    if (next === undefined) return;
    this.cancelWake = this.base.setTimeout(
      () => {
        this.cancelWake = undefined;
        const now = this.now();
        try {
          for (let timer = this.timers.takeDue(now); timer; timer = this.timers.takeDue(now)) {
            timer.callback();
          }
        } finally {
          this.schedule();
        }
      },
      Math.max(0, next.due - this.now()),
    );
  }
}
