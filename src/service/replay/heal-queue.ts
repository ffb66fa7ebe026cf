/** Work due at a time, earliest first (ties in the order scheduled): a binary heap, O(log n) a push or pop. */
export function createTimeQueue<T>() {
  const heap: Array<{ at: number; seq: number; item: T }> = [];
  let seq = 0;
  const before = (a: number, b: number) => {
    const x = heap[a]!;
    const y = heap[b]!;
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  };
  const swap = (a: number, b: number) => {
    const t = heap[a]!;
    heap[a] = heap[b]!;
    heap[b] = t;
  };
  return {
    get size() {
      return heap.length;
    },
    push(at: number, item: T): void {
      heap.push({ at, seq: seq++, item });
      let i = heap.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!before(i, parent)) break;
        swap(i, parent);
        i = parent;
      }
    },
    /** The earliest time queued, if any. */
    peekAt(): number | undefined {
      return heap[0]?.at;
    },
    pop(): { at: number; item: T } | undefined {
      const top = heap[0];
      if (!top) return undefined;
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && before(l, m)) m = l;
          if (r < heap.length && before(r, m)) m = r;
          if (m === i) break;
          swap(i, m);
          i = m;
        }
      }
      return { at: top.at, item: top.item };
    },
  };
}
