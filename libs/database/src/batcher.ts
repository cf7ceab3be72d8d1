/** A batch's answer for an item that must not share this batch (it waits for the next one). */
export const NEXT_BATCH = Symbol('next batch');

export interface BatcherOptions<Item, Result> {
  /** Items per batch, at most: bounds a transaction's locks and statement sizes. */
  maxBatch: number;
  /**
   * Runs one batch (typically one transaction with set-based statements) and answers each item,
   * in order, with its result or `NEXT_BATCH`. Throwing fails the batch: its items are then run
   * one by one, so that one bad item fails alone.
   */
  run(items: Item[]): Promise<(Result | typeof NEXT_BATCH)[]>;
  /** Which waiting items may share a batch with the first one (default: any). */
  compatible?(first: Item, other: Item): boolean;
  /** Told when a batch of several failed, before its items are retried one by one. */
  onBatchFailed?(error: unknown, size: number): void;
}

interface Waiter<Item, Result> {
  item: Item;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

/**
 * Batching within one process: work submitted while a batch runs waits and then goes together in
 * the next batch. One batch runs at a time, so under load batches grow by themselves and many
 * concurrent requests share one round trip (and, for writes, one commit: group commit); alone, an
 * item runs at once.
 */
export class Batcher<Item, Result> {
  private readonly waiting: Waiter<Item, Result>[] = [];
  private running = false;

  constructor(private readonly options: BatcherOptions<Item, Result>) {}

  submit(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.takeBatch();
        try {
          this.answer(batch, await this.options.run(batch.map((waiter) => waiter.item)));
        } catch (error) {
          if (batch.length === 1) {
            batch[0].reject(error);
            continue;
          }
          this.options.onBatchFailed?.(error, batch.length);
          for (const waiter of batch) {
            await this.options
              .run([waiter.item])
              .then((results) => this.answer([waiter], results), waiter.reject);
          }
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** The first waiting item and, up to `maxBatch`, the waiting items compatible with it. */
  private takeBatch(): Waiter<Item, Result>[] {
    const [first] = this.waiting;
    const compatible = this.options.compatible ?? (() => true);
    const batch: Waiter<Item, Result>[] = [];
    for (let index = 0; index < this.waiting.length && batch.length < this.options.maxBatch;) {
      const waiter = this.waiting[index];
      if (waiter === first || compatible(first.item, waiter.item)) {
        batch.push(waiter);
        this.waiting.splice(index, 1);
      } else index++;
    }
    return batch;
  }

  private answer(batch: Waiter<Item, Result>[], results: (Result | typeof NEXT_BATCH)[]): void {
    batch.forEach((waiter, index) => {
      const result = results[index];
      if (result !== NEXT_BATCH) waiter.resolve(result);
      else if (batch.length > 1) this.waiting.push(waiter);
      else waiter.reject(new Error('a batch of one item deferred it to the next batch'));
    });
  }
}
