/**
 * The raw baseline on Bun: `Bun.listen` / `Bun.connect` socket handlers with
 * the same length-prefixed framing as listenrain, written by hand for speed.
 * Every frame produced in one tick goes out in one `socket.write()` (a
 * {@linkcode Batch}); what Bun does not take at once waits for `drain`.
 * Bun's API is typed in bench/_bun_sockets.ts.
 *
 * @module
 */

import { Batch, FrameReader, type OnFrame } from "./_frames.ts";
import type { RawClient, RawServer } from "./_raw.ts";
import { bun, type BunHandlers, type BunSocket } from "../_bun_sockets.ts";

/** One socket's framing and write state. */
class State {
  readonly reader = new FrameReader();
  readonly batch = new Batch();
  /** Bytes Bun did not take yet, in order; written on `drain`. */
  pending: Uint8Array[] = [];
  scheduled = false;
  socket!: BunSocket<State>;
  onFrame!: OnFrame;
  flush = () => {
    this.scheduled = false;
    const chunks = this.batch.take();
    if (this.pending.length > 0) {
      for (const chunk of chunks) this.pending.push(chunk);
      return;
    }
    this.#write(chunks);
  };

  /** Queues a frame (or bytes that are frames) for this tick's write. */
  add(frame: Uint8Array): void {
    this.batch.add(frame);
    this.#schedule();
  }

  /** Queues a frame of `payload` for this tick's write. */
  addFrame(payload: Uint8Array): void {
    this.batch.addFrame(payload);
    this.#schedule();
  }

  /** Writes what waited for `drain`. */
  drain(): void {
    const pending = this.pending;
    this.pending = [];
    this.#write(pending);
  }

  #schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(this.flush);
  }

  #write(chunks: Uint8Array[]): void {
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i];
      const n = this.socket.write(chunk);
      if (n < 0) return;
      if (n < chunk.length) {
        // Views, not copies: the chunks are the batch's own arrays, request
        // bodies (unchanged until replied to) or Bun's data buffers (fresh
        // per event).
        this.pending.push(chunk.subarray(n));
        for (let j = i + 1; j < chunks.length; j++) {
          this.pending.push(chunks[j]);
        }
        return;
      }
    }
  }
}

const echoHandlers: BunHandlers<State> = {
  open(socket) {
    const state = new State();
    state.socket = socket;
    state.onFrame = (frame) => state.add(frame);
    socket.data = state;
    socket.setNoDelay?.(true);
  },
  data(socket, bytes) {
    socket.data.reader.push(bytes, socket.data.onFrame);
  },
  drain(socket) {
    socket.data.drain();
  },
  error(socket) {
    socket.end();
  },
};

/**
 * Serves echo: every frame comes back as it came.
 *
 * @param backlog The listen backlog.
 * @returns The server.
 */
export function serveEcho(backlog = 511): Promise<RawServer> {
  let accepted = 0;
  const open = echoHandlers.open!;
  const server = bun.listen<State>({
    hostname: "127.0.0.1",
    port: 0,
    backlog,
    socket: {
      ...echoHandlers,
      open(socket) {
        accepted++;
        open(socket);
      },
    },
  });
  return Promise.resolve({ port: server.port, accepted: () => accepted });
}

/**
 * Accepts connections and holds them; reads are discarded: the runtime's own
 * cost of an idle socket.
 *
 * @param backlog The listen backlog.
 * @returns The server.
 */
export function serveHold(backlog = 511): Promise<RawServer> {
  const sockets = new Set<BunSocket<undefined>>();
  const server = bun.listen<undefined>({
    hostname: "127.0.0.1",
    port: 0,
    backlog,
    socket: {
      open: (socket) => void sockets.add(socket),
      data: () => {},
      close: (socket) => void sockets.delete(socket),
    },
  });
  return Promise.resolve({
    port: server.port,
    accepted: () => sockets.size,
  });
}

/**
 * Connects to a raw echo server.
 *
 * @param port The server's port on 127.0.0.1.
 * @param onReply Called with each reply's payload (a view valid during the
 *   call), in order.
 * @returns The connection.
 */
export async function connect(
  port: number,
  onReply: (payload: Uint8Array) => void,
): Promise<RawClient> {
  const state = new State();
  state.onFrame = (_, payload) => onReply(payload);
  const socket = await bun.connect<State>({
    hostname: "127.0.0.1",
    port,
    data: state,
    socket: {
      data: echoHandlers.data,
      drain: echoHandlers.drain,
      error: echoHandlers.error,
    },
  });
  state.socket = socket;
  socket.setNoDelay?.(true);
  return {
    send: (body) => state.addFrame(body),
    close: () => socket.end(),
  };
}
