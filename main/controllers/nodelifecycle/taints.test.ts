import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../base/clock';
import type { Taint, Toleration } from '../../kube/scheduling';
import { RateLimitedTimedQueue } from './rate-limited-queue';
import {
  addOrUpdateTaint,
  getMatchingTolerations,
  getMinTolerationTime,
  removeTaint,
  taintSetDiff,
} from './taints';

const taint = (key: string, effect: Taint['effect'], timeAdded?: string): Taint => ({
  key,
  effect,
  ...(timeAdded ? { timeAdded } : {}),
});

describe('taint utilities (pkg/util/taints)', () => {
  it('adds, replaces in place and leaves identical taints alone', () => {
    const a = taint('a', 'NoSchedule');
    const b = taint('b', 'NoExecute', '2026-01-01T00:00:00Z');
    expect(addOrUpdateTaint([a], b)).toEqual({ taints: [a, b], updated: true });
    expect(addOrUpdateTaint([a, b], { ...b })).toEqual({ taints: [a, b], updated: false });
    const later = taint('b', 'NoExecute', '2026-01-01T00:01:00Z');
    expect(addOrUpdateTaint([b, a], later)).toEqual({ taints: [later, a], updated: true });
    // Same key, other effect: another taint.
    expect(addOrUpdateTaint([a], taint('a', 'NoExecute')).taints).toHaveLength(2);
  });

  it('removes by key and effect', () => {
    const list = [taint('a', 'NoSchedule'), taint('a', 'NoExecute'), taint('b', 'NoSchedule')];
    expect(removeTaint(list, taint('a', 'NoExecute'))).toEqual({
      taints: [taint('a', 'NoSchedule'), taint('b', 'NoSchedule')],
      removed: true,
    });
    expect(removeTaint(list, taint('c', 'NoExecute')).removed).toBe(false);
  });

  it('diffs taint sets ignoring timeAdded (TestTaintSetDiff)', () => {
    const { toAdd, toRemove } = taintSetDiff(
      [taint('a', 'NoSchedule'), taint('b', 'NoSchedule')],
      [taint('b', 'NoSchedule', '2026-01-01T00:00:00Z'), taint('c', 'NoSchedule')],
    );
    expect(toAdd).toEqual([taint('a', 'NoSchedule')]);
    expect(toRemove).toEqual([taint('c', 'NoSchedule')]);
  });
});

describe('tolerations (GetMatchingTolerations, getMinTolerationTime)', () => {
  const forever: Toleration = { key: 'a', operator: 'Exists', effect: 'NoExecute' };
  const seconds = (key: string, s: number): Toleration => ({
    key,
    operator: 'Exists',
    effect: 'NoExecute',
    tolerationSeconds: s,
  });

  it('needs every taint tolerated and answers the first toleration used for each', () => {
    expect(getMatchingTolerations([], [])).toEqual({ allTolerated: true, used: [] });
    expect(getMatchingTolerations([taint('a', 'NoExecute')], [])).toEqual({
      allTolerated: false,
      used: [],
    });
    expect(
      getMatchingTolerations(
        [taint('a', 'NoExecute'), taint('b', 'NoExecute')],
        [seconds('b', 5), forever, seconds('a', 9)],
      ),
    ).toEqual({ allTolerated: true, used: [forever, seconds('b', 5)] });
    expect(
      getMatchingTolerations([taint('a', 'NoExecute'), taint('c', 'NoExecute')], [forever]),
    ).toEqual({ allTolerated: false, used: [] });
  });

  it('takes the shortest toleration, -1 for forever, 0 for none or non-positive (TestGetMinTolerationTime)', () => {
    expect(getMinTolerationTime([])).toBe(0);
    expect(getMinTolerationTime([forever])).toBe(-1);
    expect(getMinTolerationTime([forever, seconds('b', 300), seconds('c', 20)])).toBe(20_000);
    expect(getMinTolerationTime([seconds('b', 300), seconds('c', 0)])).toBe(0);
    expect(getMinTolerationTime([seconds('b', -5)])).toBe(0);
  });
});

describe('RateLimitedTimedQueue', () => {
  it('processes one value per token, in order, and never re-adds a processed value until removed', () => {
    const clock = new FakeClock();
    const queue = new RateLimitedTimedQueue(0.1, clock);
    expect(queue.add('n1', 'u1')).toBe(true);
    expect(queue.add('n2', 'u2')).toBe(true);
    expect(queue.add('n1', 'u1')).toBe(false);
    const done: string[] = [];
    const run = (): void => queue.try((v) => (done.push(v.value), { done: true, waitMs: 0 }));
    run();
    expect(done).toEqual(['n1']);
    expect(queue.msUntilNextTry()).toBe(10_000);
    clock.advance(9_999);
    run();
    expect(done).toEqual(['n1']);
    clock.advance(1);
    run();
    expect(done).toEqual(['n1', 'n2']);
    expect(queue.length).toBe(0);
    expect(queue.add('n1', 'u1')).toBe(false);
    expect(queue.remove('n1')).toBe(true);
    expect(queue.add('n1', 'u1')).toBe(true);
  });

  it('stops with a zero rate and resumes drained after a swap', () => {
    const clock = new FakeClock();
    const queue = new RateLimitedTimedQueue(0.1, clock);
    queue.swapLimiter(0);
    queue.add('n1', '');
    const done: string[] = [];
    queue.try((v) => (done.push(v.value), { done: true, waitMs: 0 }));
    expect(done).toEqual([]);
    expect(queue.msUntilNextTry()).toBe(Infinity);
    queue.swapLimiter(0.1);
    queue.try((v) => (done.push(v.value), { done: true, waitMs: 0 }));
    expect(done).toEqual([]);
    clock.advance(10_000);
    queue.try((v) => (done.push(v.value), { done: true, waitMs: 0 }));
    expect(done).toEqual(['n1']);
  });
});
