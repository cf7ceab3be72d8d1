import { describe, expect, it } from 'vitest';
import { Batcher, NEXT_BATCH } from './batcher.js';

describe('Batcher', () => {
  it('runs the first item at once and the items that queued meanwhile together', async () => {
    const batches: number[][] = [];
    const group = new Batcher<number, number>({
      maxBatch: 3,
      run: async (items) => {
        batches.push(items);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return items.map((item) => item * 10);
      },
    });
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map((item) => group.submit(item)));
    expect(results).toEqual([10, 20, 30, 40, 50, 60]);
    expect(batches).toEqual([[1], [2, 3, 4], [5, 6]]);
  });

  it('batches only compatible items, and defers an item its batch answers NEXT_BATCH for', async () => {
    const batches: string[][] = [];
    const group = new Batcher<string, string>({
      maxBatch: 10,
      compatible: (first, other) => first[0] === other[0],
      run: async (items) => {
        batches.push(items);
        // Two items for one key never share a batch.
        return items.map((item, index) => (items.indexOf(item) < index ? NEXT_BATCH : item.toUpperCase()));
      },
    });
    const results = await Promise.all(['a1', 'b1', 'a2', 'a2', 'b2'].map((item) => group.submit(item)));
    expect(results).toEqual(['A1', 'B1', 'A2', 'A2', 'B2']);
    expect(batches).toEqual([['a1'], ['b1', 'b2'], ['a2', 'a2'], ['a2']]);
  });

  it('retries a failed batch item by item, so only the bad item fails', async () => {
    const failures: number[] = [];
    const group = new Batcher<number, number>({
      maxBatch: 10,
      run: async (items) => {
        if (items.includes(3)) throw new Error(`refused ${items.join(',')}`);
        return items;
      },
      onBatchFailed: (_error, size) => failures.push(size),
    });
    const results = await Promise.allSettled([1, 2, 3, 4].map((item) => group.submit(item)));
    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((results[2] as PromiseRejectedResult).reason.message).toBe('refused 3');
    expect(failures).toEqual([3]);
  });
});
