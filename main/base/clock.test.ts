import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock';

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
