import { describe, expect, it } from 'vitest';
import { randomString, randomUuid, seededRandom } from './random';

describe('seededRandom', () => {
  it('repeats for the same seed and differs across seeds', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const sa = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(sa);
    expect(sa.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('spreads values over the range', () => {
    const r = seededRandom(7);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 10_000; i++) buckets[Math.floor(r.next() * 10)]++;
    for (const count of buckets) expect(count).toBeGreaterThan(800);
  });

  it('makes names and version-4 uuids', () => {
    const r = seededRandom(1);
    expect(randomString(r, 'bcd', 5)).toMatch(/^[bcd]{5}$/);
    expect(randomUuid(r)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});
