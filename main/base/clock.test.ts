import { describe, expect, it } from 'vitest';
import { FakeClock, SimulatedClock, sleep } from './clock';

describe('FakeClock', () => {
  it('fires timers in due order, with now() at each due time', () => {
    const clock = new FakeClock(1_000);
    const fired: Array<[string, number]> = [];
    clock.setTimeout(() => fired.push(['b', clock.now()]), 200);
    clock.setTimeout(() => fired.push(['a', clock.now()]), 100);
    clock.setTimeout(() => fired.push(['c', clock.now()]), 200);
    clock.advance(150);
    expect(fired).toEqual([['a', 1_100]]);
    clock.advance(1_000);
    expect(fired).toEqual([
      ['a', 1_100],
      ['b', 1_200],
      ['c', 1_200],
    ]);
    expect(clock.now()).toBe(2_150);
  });

  it('repeats intervals until cancelled', () => {
    const clock = new FakeClock(0);
    const at: number[] = [];
    const cancel = clock.setInterval(() => at.push(clock.now()), 10);
    clock.advance(35);
    expect(at).toEqual([10, 20, 30]);
    cancel();
    clock.advance(100);
    expect(at).toEqual([10, 20, 30]);
    expect(clock.pending).toBe(0);
  });

  it('runs timers scheduled by timers within the same advance', () => {
    const clock = new FakeClock(0);
    const at: number[] = [];
    clock.setTimeout(() => {
      at.push(clock.now());
      clock.setTimeout(() => at.push(clock.now()), 5);
    }, 5);
    clock.advance(10);
    expect(at).toEqual([5, 10]);
  });
});

describe('SimulatedClock', () => {
  it('follows its base clock and fires timers at cluster time', () => {
    const base = new FakeClock(1_000_000);
    const clock = new SimulatedClock(base, { offset: 5_000 });
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 50_000);
    base.advance(1_000);
    expect(clock.now()).toBe(1_006_000);
    expect(fired).toEqual([]);
    base.advance(49_000);
    expect(fired).toEqual([1_055_000]);
  });

  it('advance fires every timer on the way, in order, each at its own due time', () => {
    const base = new FakeClock(0);
    const clock = new SimulatedClock(base);
    const seen: Array<[string, number]> = [];
    clock.setInterval(() => seen.push(['lease', clock.now()]), 10_000);
    clock.setTimeout(() => seen.push(['grace', clock.now()]), 40_000);
    clock.advance(40_000);
    expect(seen).toEqual([
      ['lease', 10_000],
      ['lease', 20_000],
      ['lease', 30_000],
      ['lease', 40_000],
      ['grace', 40_000],
    ]);
    expect(clock.now()).toBe(40_000);
    expect(clock.offset).toBe(40_000);
    base.advance(10_000);
    expect(seen.at(-1)).toEqual(['lease', 50_000]);
    expect(seen).toHaveLength(6);
  });

  it('a timer added by a callback waits for its own due time; cancelled timers never fire', () => {
    const base = new FakeClock(0);
    const clock = new SimulatedClock(base);
    const seen: number[] = [];
    const cancel = clock.setTimeout(() => seen.push(-1), 5);
    clock.setTimeout(() => {
      seen.push(clock.now());
      clock.setTimeout(() => seen.push(clock.now()), 100);
    }, 10);
    cancel();
    clock.advance(50);
    expect(seen).toEqual([10]);
    base.advance(60);
    expect(seen).toEqual([10, 110]);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });
});

describe('sleep', () => {
  it("resolves after the clock's time has passed, not before", async () => {
    const clock = new FakeClock(0);
    let done = false;
    const slept = sleep(clock, 1000).then(() => (done = true));
    clock.advance(999);
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(1);
    await slept;
    expect(done).toBe(true);
  });

  it('rejects with the reason as soon as its signal aborts, and cancels its timer', async () => {
    const clock = new FakeClock(0);
    const controller = new AbortController();
    const slept = sleep(clock, 1000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(slept).rejects.toThrow('stop');
    expect(clock.pending).toBe(0);
    const aborted = new AbortController();
    aborted.abort();
    await expect(sleep(clock, 1000, aborted.signal)).rejects.toBeInstanceOf(Error);
  });
});
