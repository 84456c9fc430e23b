/**
 * The send queue's bridge from a channel's web streams to calls: a
 * writable stream written through {@linkcode ChunkWriter} calls, as a
 * channel's `ChannelIO` is. (The other way, a channel's streams
 * made from its calls, is public: `channel_io.ts`.) Private to the core.
 *
 * @module
 */

/**
 * The write half of `ChannelIO`, and maybe a way to give up: a
 * channel's `io` is one as it is (its owner closes the channel instead).
 */
export interface ChunkWriter {
  /** As `ChannelIO.write`. */
  write(chunk: Uint8Array): Promise<void> | undefined;
  /** As `ChannelIO.writev`. */
  writev?(chunks: readonly Uint8Array[]): Promise<void> | undefined;
  /** Half-closes. */
  closeWrite(): Promise<void>;
  /** Gives up: pending and later writes reject. */
  abort?(reason: unknown): void;
}

/**
 * Writes `writable` by calls. Takes its writer lock at once.
 *
 * @param writable The stream.
 * @returns The writer.
 *
 * @example Writing one chunk
 * ```ts
 * import { streamWriter } from "./_stream_io.ts";
 * const seen: number[] = [];
 * const writer = streamWriter(new WritableStream({ write: (c) => void seen.push(c.length) }));
 * await writer.write(new Uint8Array(3));
 * await writer.closeWrite();
 * console.log(seen); // [ 3 ]
 * ```
 */
export function streamWriter(
  writable: WritableStream<Uint8Array>,
): ChunkWriter {
  const writer = writable.getWriter();
  writer.closed.catch(() => {});
  return {
    write: (chunk) => writer.write(chunk),
    closeWrite: () => writer.close(),
    abort(reason) {
      writer.abort(reason).catch(() => {});
    },
  };
}
