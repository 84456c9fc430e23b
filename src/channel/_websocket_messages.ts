/**
 * The messages of the WebSocket channel (see `_websocket_core.ts`): each
 * starts with a tag byte, DATA (the next bytes of the stream), CREDIT (a
 * u32 count of bytes the peer may send more) or END (the sender
 * half-closed). Private to the channel.
 *
 * @module
 */

/** The tag of a message that carries the next bytes of the stream. */
export const DATA = 0;
/** The tag of a credit: a big-endian u32 follows. */
export const CREDIT = 1;
/** The tag of the half-close. */
export const END = 2;

/** The largest message built in the shared buffer (larger ones: a new one). */
const MAX_SCRATCH = 1024 * 1024;
/** The shared buffer messages are built in for sinks that copy. */
let scratch = new Uint8Array(0);

/**
 * `length` bytes of `chunks`, from `offset` (counted across them), as one
 * DATA message, copied after the tag (the writer may reuse its chunks at
 * once).
 *
 * @param chunks The bytes to send, in order.
 * @param offset Where in them the message starts.
 * @param length How many bytes it carries (at least one).
 * @param reuse True if the socket is done with a message once `send`
 *   returns: the message is then built in one buffer shared by every
 *   channel, else in a new one.
 * @returns The message.
 */
export function dataMessage(
  chunks: readonly Uint8Array[],
  offset: number,
  length: number,
  reuse: boolean | undefined,
): Uint8Array {
  const size = length + 1;
  let message: Uint8Array;
  if (reuse && size <= MAX_SCRATCH) {
    if (scratch.length < size) {
      scratch = new Uint8Array(
        Math.min(MAX_SCRATCH, Math.max(size, scratch.length * 2)),
      );
    }
    message = scratch.subarray(0, size);
  } else message = new Uint8Array(size);
  message[0] = DATA;
  let at = 1;
  for (const chunk of chunks) {
    if (offset >= chunk.length) {
      offset -= chunk.length;
      continue;
    }
    const n = Math.min(chunk.length - offset, size - at);
    message.set(
      offset === 0 && n === chunk.length
        ? chunk
        : chunk.subarray(offset, offset + n),
      at,
    );
    offset = 0;
    at += n;
    if (at === size) break;
  }
  return message;
}

/**
 * A CREDIT message.
 *
 * @param count Bytes the peer may send more.
 * @returns The message.
 */
export function creditMessage(count: number): Uint8Array {
  const message = new Uint8Array(5);
  message[0] = CREDIT;
  new DataView(message.buffer).setUint32(1, count);
  return message;
}

/** @returns An END message. */
export function endMessage(): Uint8Array {
  return new Uint8Array([END]);
}
