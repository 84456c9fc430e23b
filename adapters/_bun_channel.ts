/**
 * The Bun adapter's channel: what it keeps per socket (`socket.data`), which
 * is also the {@linkcode Channel} the user gets, and the socket handlers
 * shared by every socket. Private to `adapters/`.
 *
 * @module
 */

import type {
  Channel,
  ChannelAddr,
  PeerCertificate,
} from "../src/channel/channel.ts";
import { IOChannel } from "../src/channel/channel_io.ts";
import { ConnectionClosedError } from "../src/errors.ts";
import { type BunHandlers, type BunSocket, closeSocket } from "./_bun_api.ts";
import { copyGroup, type Group, nextGroup } from "./_gather.ts";
import { channelAddrs, type ParsedKey } from "./_key.ts";
import { peerCertificateOf } from "./_peer_certificate.ts";
import { plainBytes, PushSource } from "./_streams.ts";

const closedError = () =>
  new ConnectionClosedError("Cannot write: the channel was closed");

/**
 * Frames (and runs of frames) up to this size are copied whole into one
 * write: Bun reads up to 512 KiB at once, so the peer then mostly finds
 * such a frame in one chunk and passes it on as a view, where a frame split
 * over two writes is mostly split over two reads and costs the peer a new
 * array and a copy of all of it.
 */
export const WHOLE_MAX = 512 * 1024;
/** The largest group of chunks copied into {@linkcode scratch}. */
const SCRATCH_MAX = WHOLE_MAX;
/**
 * What a socket did not take of the scratch buffer is copied out when it
 * is at most this large; a larger rest keeps the buffer itself (the next
 * group takes a new one).
 */
const COPY_REST_MAX = 64 * 1024;
/** The scratch buffer's first size: a header and 16 KiB of body, and more. */
const GROUP_MIN = 32 * 1024;
/**
 * Where `writev` copies a frame (or a larger one's header and its body's
 * first bytes), shared by this thread's sockets: Bun's `write()` has taken
 * (copied) what it accepted when it returns, so the buffer is free again
 * after each write (what a socket did not take is copied out of it first,
 * or, when large, keeps it: {@linkcode copiesRest}). A new array per frame
 * cost its zeroing and counted toward the engine's next collection.
 */
let scratch: Uint8Array | undefined;

/**
 * Whether what a socket did not take of `chunk`, a view of the scratch
 * buffer, from `written` on, is copied out (the buffer stays shared), or
 * keeps the buffer (the next group takes a new one).
 */
function copiesRest(chunk: Uint8Array, written: number): boolean {
  if (chunk.length - written <= COPY_REST_MAX) return true;
  if (scratch !== undefined && chunk.buffer === scratch.buffer) {
    scratch = undefined;
  }
  return false;
}

/**
 * What the adapter keeps per socket (`socket.data`), and the channel the
 * user gets. Its `ChannelIO` calls are the fast path (the core
 * uses them); `readable` and `writable` are made from them on first use.
 */
export class SocketState extends IOChannel {
  socket?: BunSocket;
  localAddr!: ChannelAddr;
  remoteAddr!: ChannelAddr;
  /** TLS: the certificate the peer presented, once the handshake verified it. */
  peerCertificate: PeerCertificate | undefined;
  /** A chunk Bun took only part of: the rest goes out on `drain`. */
  pending?: {
    chunk: Uint8Array;
    offset: number;
    resolve(): void;
    reject(error: unknown): void;
  };
  closed = false;
  writeEnded = false;
  /** Called once the socket is ready for the user (TLS: after the handshake). */
  onReady?: (error?: unknown) => void;
  /** Whether the peer sent bytes yet (a TLS server's verdict: accepted). */
  gotBytes = false;
  /** Called with the peer's first bytes (the dial's wait for the verdict). */
  onFirstBytes?: () => void;
  /** Whether the TLS handshake must verify the peer's certificate. */
  verifyPeer = true;
  /** Called once when the channel closes (a listener's count of open ones). */
  onClose?: () => void;
  readonly source: PushSource = new PushSource(this);

  /** The source's backpressure: pause and resume the socket. */
  pause(): void {
    this.socket?.pause?.();
  }

  resume(): void {
    this.socket?.resume?.();
  }

  read(): Promise<Uint8Array | null> {
    return this.source.read();
  }

  write(chunk: Uint8Array): Promise<void> | undefined {
    return this.#write(chunk, false);
  }

  /**
   * Writes `chunk`; resolves once Bun took every byte.
   *
   * @param chunk The bytes.
   * @param shared Whether `chunk` is reused once this returns (the scratch
   *   buffer): what Bun did not take is then copied.
   */
  #write(chunk: Uint8Array, shared: boolean): Promise<void> | undefined {
    if (this.closed) throw closedError();
    const socket = this.socket;
    if (socket !== undefined && this.pending === undefined) {
      // Bun copies what it takes: done at once when it took every byte.
      const written = socket.write(chunk);
      if (written < 0) {
        this.close(closedError());
        throw closedError();
      }
      if (written === chunk.length) return undefined;
      const copy = shared && copiesRest(chunk, written);
      const rest = copy ? chunk.slice(written) : chunk;
      const offset = copy ? 0 : written;
      return new Promise<void>((resolve, reject) => {
        this.pending = { chunk: rest, offset, resolve, reject };
      });
    }
    const rest = shared && copiesRest(chunk, 0) ? chunk.slice() : chunk;
    return new Promise<void>((resolve, reject) => {
      this.pending = { chunk: rest, offset: 0, resolve, reject };
      this.flush();
    });
  }

  /**
   * Several chunks: Bun's socket has no vectored write, so they are written
   * in the groups of `nextGroup` (`_gather.ts`), each once the one before it
   * was taken: frames of up to {@linkcode WHOLE_MAX} bytes copied whole into
   * a buffer shared by the thread's sockets, one write each (or several
   * small ones together); a larger frame's header with its body's first
   * 16 KiB copied there, then the rest of its body uncopied.
   */
  writev(chunks: readonly Uint8Array[]): Promise<void> | undefined {
    return this.#writeFrom(chunks, 0, 0);
  }

  /** Writes `chunks` from `chunks[from]`, whose first `skip` bytes left. */
  #writeFrom(
    chunks: readonly Uint8Array[],
    from: number,
    skip: number,
  ): Promise<void> | undefined {
    let i = from;
    while (i < chunks.length) {
      let waiting: Promise<void> | undefined;
      if (skip === 0) {
        const group = nextGroup(chunks, i, WHOLE_MAX);
        if (group.end > i) {
          waiting = this.#writeGroup(chunks, i, group);
          skip = group.head;
          i = group.end;
          if (waiting !== undefined) {
            return waiting.then(() => this.#writeFrom(chunks, i, skip));
          }
          // Nothing of chunks[i] went out: it starts the next group.
          if (skip === 0) continue;
        }
      }
      const large = chunks[i++];
      waiting = this.write(skip === 0 ? large : large.subarray(skip));
      skip = 0;
      if (waiting !== undefined) {
        return waiting.then(() => this.#writeFrom(chunks, i, 0));
      }
    }
    return undefined;
  }

  /** Writes a group's small chunks and head, copied into the scratch buffer. */
  #writeGroup(
    chunks: readonly Uint8Array[],
    from: number,
    group: Group,
  ): Promise<void> | undefined {
    const size = group.size;
    if (group.end === from + 1 && group.head === 0) {
      return this.write(chunks[from]); // one small chunk: nothing to join
    }
    const shared = size <= SCRATCH_MAX;
    if (shared && (scratch === undefined || scratch.length < size)) {
      scratch = new Uint8Array(Math.max(size, GROUP_MIN));
    }
    const into = shared ? scratch! : new Uint8Array(size);
    return this.#write(copyGroup(chunks, from, group, into), shared);
  }

  closeWrite(): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    this.writeEnded = true;
    this.socket?.shutdown();
    if (this.source.ended) this.close();
    return Promise.resolve();
  }

  /** Adopts the socket; closes it at once if the channel already closed. */
  attach(socket: BunSocket): void {
    this.socket = socket;
    if (this.closed) closeSocket(socket);
  }

  /** Ends everything now: the user's close(), or the socket closed. */
  close(error?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    if (this.socket) closeSocket(this.socket);
    this.source.end(error);
    const reason = error ?? closedError();
    this.pending?.reject(reason);
    this.pending = undefined;
    this.onReady?.(reason);
    const onClose = this.onClose;
    this.onClose = undefined;
    onClose?.();
  }

  /** Writes as much of the pending chunk as Bun takes. */
  flush(): void {
    const pending = this.pending;
    if (pending === undefined || this.socket === undefined) return;
    const written = this.socket.write(pending.chunk.subarray(pending.offset));
    if (written < 0) return this.close(closedError());
    pending.offset += written;
    if (pending.offset < pending.chunk.length) return;
    this.pending = undefined;
    pending.resolve();
  }

  /** Names the ends, once the socket is attached; returns the channel. */
  channel(key: ParsedKey, side: "client" | "server"): Channel {
    const socket = this.socket;
    [this.localAddr, this.remoteAddr] = channelAddrs(
      key,
      side,
      { hostname: socket?.localAddress, port: socket?.localPort },
      { hostname: socket?.remoteAddress, port: socket?.remotePort },
    );
    return this;
  }
}

/** The handlers every socket shares: each finds its state in `socket.data`. */
export const handlers: BunHandlers = {
  // Plain Uint8Arrays: no Buffer to re-wrap per chunk (plainBytes).
  binaryType: "uint8array",
  open(socket) {
    socket.data.attach(socket);
  },
  handshake(socket, success, error) {
    // Bun reports a peer certificate that fails verification as a success
    // with an error (and does not close): a refusal, where the peer's
    // certificate is checked (always by a client; by a server with caCerts).
    const state = socket.data;
    const refused = !success || (state.verifyPeer && error);
    // Only a certificate that verified is shown.
    if (success && !error) state.peerCertificate = peerCertificateOf(socket);
    state.onReady?.(
      refused ? error ?? new Error("TLS handshake failed") : undefined,
    );
  },

  data(socket, bytes) {
    const state = socket.data;
    if (!state.gotBytes) {
      state.gotBytes = true;
      state.onFirstBytes?.();
    }
    state.source.push(plainBytes(bytes));
  },
  drain(socket) {
    socket.data.flush();
  },
  end(socket) {
    // Ended before the handshake or the server's verdict: a failed setup.
    socket.data.onReady?.(
      new ConnectionClosedError("The peer ended the connection"),
    );
    socket.data.source.end();
    if (socket.data.writeEnded) socket.data.close();
  },
  close(socket, error) {
    socket.data.close(error);
  },
  error(socket, error) {
    socket.data.close(error);
  },
};

/** Resolves once `state` is ready (TLS: handshake done), rejects if it fails first. */
export function ready(state: SocketState): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    state.onReady = (error) => {
      state.onReady = undefined;
      if (error === undefined) resolve();
      else reject(error);
    };
  });
}
