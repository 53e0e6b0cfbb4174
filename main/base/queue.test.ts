import { describe, expect, it } from 'vitest';
import { Queue } from './queue';

describe('Queue', () => {
  it('is first in, first out across compactions', () => {
    const queue = new Queue<number>();
    const out: number[] = [];
    for (let i = 0; i < 5_000; i++) {
      queue.push(i);
      if (i % 3 === 0) out.push(queue.shift()!);
    }
    while (queue.length) out.push(queue.shift()!);
    expect(out).toEqual(Array.from({ length: 5_000 }, (_, i) => i));
    expect(queue.shift()).toBeUndefined();
    queue.push(7);
    queue.clear();
    expect(queue.length).toBe(0);
  });
});
