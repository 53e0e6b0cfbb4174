/**
 * Time comes in through constructors (DESIGN.md rule 5) so controllers, heartbeats and tests share
 * one notion of "now" and a lab can fast-forward it. Modelled on KWOK's injected `clock.Clock`.
 */
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

interface Timer {
  readonly id: number;
  due: number;
  readonly every: number | undefined;
  readonly callback: () => void;
}

/**
 * A clock that moves only when told to. `advance` fires every timer that falls due, in order of due
 * time (ties in order of creation), with `now()` reading each timer's due time while it runs.
 */
export class FakeClock implements Clock {
  private current: number;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();

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
    for (;;) {
      const next = this.earliest();
      if (next === undefined || next.due > target) break;
      this.current = next.due;
      if (next.every === undefined) this.timers.delete(next.id);
      else next.due += next.every;
      next.callback();
    }
    this.current = target;
  }

  private add(callback: () => void, ms: number, every: number | undefined): Cancel {
    const id = this.nextId++;
    this.timers.set(id, { id, due: this.current + Math.max(0, ms), every, callback });
    return () => {
      this.timers.delete(id);
    };
  }

  private earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const timer of this.timers.values()) {
      if (best === undefined || timer.due < best.due) best = timer;
    }
    return best;
  }
}
