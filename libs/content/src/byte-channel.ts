/** Bytes in any of the shapes callers have: one buffer, or an (async) iterable of chunks. */
export type ByteSource = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** Iterates a ByteSource as chunks (a lone Uint8Array is itself iterable, but of numbers). */
export async function* chunksOf(source: ByteSource): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  yield* source;
}

/** Collects a stream into one buffer. */
export async function collectBytes(source: ByteSource): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of chunksOf(source)) {
    chunks.push(chunk);
    length += chunk.byteLength;
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** Raised to a producer whose consumer went away. */
export class ChannelClosedError extends Error {
  constructor() {
    super('The consumer stopped reading');
    this.name = 'ChannelClosedError';
  }
}

interface Pending {
  chunk: Uint8Array;
  taken: () => void;
  dropped: (error: unknown) => void;
}

/**
 * A push-to-pull bridge with backpressure: `push` resolves once the consumer has taken the chunk,
 * so one producer can feed a file, a hasher and an HTTP upload in step without buffering the stream.
 */
export class ByteChannel implements AsyncIterable<Uint8Array> {
  private readonly queue: Pending[] = [];
  private reader?: { resolve: (r: IteratorResult<Uint8Array>) => void; reject: (e: unknown) => void };
  private ended = false;
  private failure: unknown = undefined;
  private closed = false;

  /** Offers a chunk; resolves when it is consumed, rejects if the channel failed or was abandoned. */
  push(chunk: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(this.failure ?? new ChannelClosedError());
    if (this.ended) return Promise.reject(new Error('push after end'));
    const reader = this.reader;
    if (reader !== undefined) {
      this.reader = undefined;
      reader.resolve({ done: false, value: chunk });
      return Promise.resolve();
    }
    return new Promise((taken, dropped) => this.queue.push({ chunk, taken, dropped }));
  }

  /** Marks the end of the stream. */
  end(): void {
    this.ended = true;
    if (this.queue.length === 0) this.settleReader();
  }

  /** Aborts both sides: the consumer's next read and every pending push reject with `error`. */
  fail(error: unknown): void {
    if (this.closed) return;
    this.failure = error;
    this.close(error);
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: () => {
        const pending = this.queue.shift();
        if (pending !== undefined) {
          pending.taken();
          return Promise.resolve({ done: false, value: pending.chunk });
        }
        if (this.failure !== undefined) return Promise.reject(this.failure);
        if (this.ended || this.closed) return Promise.resolve({ done: true, value: undefined });
        return new Promise((resolve, reject) => (this.reader = { resolve, reject }));
      },
      // The consumer stopped early (break, or an error inside it): tell the producer.
      return: () => {
        this.close(new ChannelClosedError());
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  private close(error: unknown): void {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.dropped(error);
    this.settleReader();
  }

  private settleReader(): void {
    const reader = this.reader;
    if (reader === undefined) return;
    this.reader = undefined;
    if (this.failure !== undefined) reader.reject(this.failure);
    else reader.resolve({ done: true, value: undefined });
  }
}

/** Marks a promise as handled now while keeping it awaitable later (avoids unhandled rejections). */
export function settleLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
