/**
 * A fake Bun socket for the Bun channel's write tests: it takes at most
 * `limit.most` bytes per write, copying what it took (as the kernel does).
 */
import type { SocketState } from "../../adapters/_bun_channel.ts";
import type { BunSocket } from "../../adapters/_bun_api.ts";

/** What a fake socket saw. */
export interface FakeWrites {
  /** Copies of the bytes it took, one per write. */
  taken: Uint8Array[];
  /** The arrays it was handed, one per write. */
  written: Uint8Array[];
}

/**
 * Attaches a fake socket to `state`.
 *
 * @param state The channel.
 * @param limit The most bytes it takes per write (may change meanwhile).
 * @returns What it took and was handed.
 */
export function fakeSocket(
  state: SocketState,
  limit: { most: number },
): FakeWrites {
  const writes: FakeWrites = { taken: [], written: [] };
  const socket = {
    data: state,
    write(chunk: Uint8Array): number {
      const n = Math.min(chunk.length, limit.most);
      writes.written.push(chunk);
      writes.taken.push(chunk.slice(0, n));
      return n;
    },
    shutdown() {},
    end() {},
  } as BunSocket;
  state.attach(socket);
  return writes;
}
