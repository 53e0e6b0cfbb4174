/**
 * Pending timers ordered by due time (ties by creation order), as a binary heap: clocks that run
 * thousands of heartbeats (one per simulated node) pop the next timer in O(log n).
 */
export interface HeapTimer {
  readonly id: number;
  due: number;
  /** Repeat period for intervals; undefined for one-shot timers. */
  readonly every: number | undefined;
  readonly callback: () => void;
  /** Cancelled timers stay in the heap until popped (lazy deletion). */
  cancelled: boolean;
}

export class TimerHeap {
  private readonly heap: HeapTimer[] = [];
  private nextId = 1;
  private live = 0;

  /** How many uncancelled timers are waiting. */
  get size(): number {
    return this.live;
  }

  add(callback: () => void, due: number, every: number | undefined): HeapTimer {
    const timer: HeapTimer = { id: this.nextId++, due, every, callback, cancelled: false };
    this.push(timer);
    this.live++;
    return timer;
  }

  cancel(timer: HeapTimer): void {
    if (timer.cancelled) return;
    timer.cancelled = true;
    this.live--;
  }

  /** The earliest live timer, without removing it. */
  peek(): HeapTimer | undefined {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
    return this.heap[0];
  }

  /**
   * Removes the earliest timer if it is due at or before `until` and returns it; an interval is
   * put back with its next due time before its callback runs, so the callback may cancel it.
   */
  takeDue(until: number): { readonly due: number; readonly callback: () => void } | undefined {
    const next = this.peek();
    if (next === undefined || next.due > until) return undefined;
    this.pop();
    const due = next.due;
    if (next.every === undefined) {
      next.cancelled = true;
      this.live--;
    } else {
      next.due = due + next.every;
      this.push(next);
    }
    return { due, callback: next.callback };
  }

  private push(timer: HeapTimer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): HeapTimer | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
        if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
        i = smallest;
      }
    }
    return top;
  }
}

function before(a: HeapTimer, b: HeapTimer): boolean {
  return a.due < b.due || (a.due === b.due && a.id < b.id);
}
