/**
 * The Node adapter's channel: a connected `node:net` or `node:tls` socket
 * as a {@linkcode Channel}, read and written by calls. Private to
 * `adapters/`.
 *
 * A socket dialed with an {@linkcode OnreadSource} (every TCP, TLS and Unix
 * socket the adapter dials) reads into buffers the channel chooses, and
 * offers `readInto()`: the rest of a large frame lands in the frame's own
 * buffer. Accepted sockets read by `'data'` events into Node's buffers:
 * Node's server makes their sockets, and `onread` is an option of
 * `net.connect`, `tls.connect` and the socket constructors only.
 *
 * @module
 */

import type * as net from "node:net";
import type {
  Channel,
  ChannelAddr,
  PeerCertificate,
} from "../src/channel/channel.ts";
import { IOChannel } from "../src/channel/channel_io.ts";
import { ConnectionClosedError } from "../src/errors.ts";
import { channelAddrs, type ParsedKey } from "./_key.ts";
import {
  type CertifiedSocket,
  peerCertificateOf,
} from "./_peer_certificate.ts";
import { plainBytes, PushSource } from "./_streams.ts";
import type { OnreadSource } from "./_onread_source.ts";

/** A pending promise's settle functions. */
interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/** The resolving functions `captureWrite` took last, for `#send`. */
let capturedResolve: (() => void) | undefined;
let capturedReject: ((error: unknown) => void) | undefined;

/** A promise executor that keeps its resolving functions (see above). */
function captureWrite(
  resolve: () => void,
  reject: (error: unknown) => void,
): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/** The channel of each socket, for the shared event listeners. */
const CHANNEL = Symbol("listenrain.channel");

/** A Node socket that carries its channel. */
type ChannelSocket = net.Socket & { [CHANNEL]: SocketChannel };

/**
 * A connected Node socket as a channel. Its `ChannelIO` calls are
 * the fast path (the core uses them); `readable` and `writable` are made from
 * them on first use. The socket's listeners are shared functions that find
 * the channel on the socket, so an idle channel holds no closures.
 */
class SocketChannel extends IOChannel {
  readonly localAddr: ChannelAddr;
  readonly remoteAddr: ChannelAddr;
  /** TLS: the certificate the peer presented, read once the handshake is done. */
  readonly peerCertificate: PeerCertificate | undefined;
  #socket: net.Socket;
  #closed = false;
  #source: PushSource | OnreadSource;
  /** The pending `write()` and `closeWrite()`. */
  #writing: Waiter | undefined;
  /** Writes made, and completed (their callbacks ran), since the start. */
  #writes = 0;
  #completed = 0;
  /** The write whose completion settles `#writing`. */
  #waitFor = 0;
  /** Writes that completed with an error, and the last such error. */
  #failures = 0;
  #failure: Error | undefined;
  #ending: Waiter | undefined;
  #writeError: unknown;

  constructor(
    socket: net.Socket,
    key: ParsedKey,
    side: "client" | "server",
    onread?: OnreadSource,
  ) {
    super();
    [this.localAddr, this.remoteAddr] = channelAddrs(
      key,
      side,
      { hostname: socket.localAddress, port: socket.localPort },
      { hostname: socket.remoteAddress, port: socket.remotePort },
    );
    this.#socket = socket;
    this.peerCertificate = key.transport === "tls"
      ? peerCertificateOf(socket as CertifiedSocket)
      : undefined;
    (socket as ChannelSocket)[CHANNEL] = this;
    if (onread === undefined) {
      this.#source = new PushSource(socket);
      socket.on("data", onData);
    } else {
      this.#source = onread;
      // The end came before the channel (bytes wait in `onread`).
      if (socket.readableEnded) onread.end();
    }
    socket.on("end", onEnd);
    socket.on("finish", onFinish);
    socket.on("error", onError);
    socket.on("close", onClose);
  }

  read(): Promise<Uint8Array | null> {
    return this.#source.read();
  }

  write(chunk: Uint8Array): Promise<void> | undefined {
    return this.#send(this.#writableSocket(), chunk);
  }

  /** Several chunks in one `writev` (the socket is corked meanwhile). */
  writev(chunks: readonly Uint8Array[]): Promise<void> | undefined {
    const socket = this.#writableSocket();
    const last = chunks.length - 1;
    if (last < 0) return undefined;
    socket.cork();
    for (let i = 0; i < last; i++) socket.write(chunks[i]);
    return this.#send(socket, chunks[last], true);
  }

  #writableSocket(): net.Socket {
    if (this.#writeError !== undefined) throw this.#writeError;
    const socket = this.#socket;
    if (this.#closed || socket.destroyed) {
      throw new ConnectionClosedError("Cannot write: the channel was closed");
    }
    return socket;
  }

  /**
   * Writes `chunk` (and uncorks): `undefined` once Node holds no reference
   * to it (the kernel took every byte), else a promise that resolves when
   * the write completes, which also waits while the socket is full. Writes
   * complete in order, so this covers the chunks written before it.
   *
   * Every write has the same callback (`#onWritten`), which counts the
   * writes that completed: a closure per write, with a context for what it
   * shared with this call, was garbage per batch (measured: 19 B per
   * request, 64 B × 16 in flight), and the same callback lets Node count
   * writes completed in one turn instead of scheduling a tick for each.
   */
  #send(
    socket: net.Socket,
    chunk: Uint8Array,
    corked = false,
  ): Promise<void> | undefined {
    const number = ++this.#writes;
    const failures = this.#failures;
    socket.write(chunk, this.#onWritten);
    if (corked) socket.uncork();
    if (this.#completed >= number || socket.writableLength === 0) {
      if (this.#failures !== failures) throw this.#failure;
      return undefined;
    }
    const previous = this.#writing;
    const waiting = new Promise<void>(captureWrite);
    const waiter: Waiter = {
      resolve: capturedResolve!,
      reject: capturedReject!,
    };
    capturedResolve = capturedReject = undefined;
    // A write while one waits (the core does not): the earlier one
    // completes first, so it settles with this one.
    this.#writing = previous === undefined ? waiter : {
      resolve: () => (previous.resolve(), waiter.resolve()),
      reject: (error) => (previous.reject(error), waiter.reject(error)),
    };
    this.#waitFor = number;
    return waiting;
  }

  /** The callback of every write: they complete in order. */
  #onWritten = (error?: Error | null): void => {
    const number = ++this.#completed;
    if (error) {
      this.#failures++;
      this.#failure = error;
    }
    const waiter = this.#writing;
    if (waiter === undefined || number < this.#waitFor) return;
    this.#writing = undefined;
    if (error) waiter.reject(error);
    else waiter.resolve();
  };

  closeWrite(): Promise<void> {
    if (this.#closed || this.#socket.destroyed) {
      return Promise.reject(
        new ConnectionClosedError("Cannot close: the channel was closed"),
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.#ending = { resolve, reject };
      this.#socket.end();
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    this.#source.end(undefined, true);
    this.failWrites(
      new ConnectionClosedError("Cannot write: the channel was closed"),
    );
  }

  /** The read side, fed by the socket's events. @internal */
  get source(): PushSource | OnreadSource {
    return this.#source;
  }

  /** The half-close finished. @internal */
  finished(): void {
    const waiter = this.#ending;
    this.#ending = undefined;
    waiter?.resolve();
  }

  /** Pending and later writes fail with `error`. Idempotent. @internal */
  failWrites(error: unknown): void {
    if (this.#writeError === undefined) this.#writeError = error;
    const writing = this.#writing;
    const ending = this.#ending;
    this.#writing = this.#ending = undefined;
    writing?.reject(error);
    ending?.reject(error);
  }
}

function onData(this: ChannelSocket, chunk: Uint8Array): void {
  (this[CHANNEL].source as PushSource).push(plainBytes(chunk));
}

/** A socket dialed with `onread`: `readInto()` reads into the target. */
class DirectSocketChannel extends SocketChannel {
  #onread: OnreadSource;

  constructor(
    socket: net.Socket,
    key: ParsedKey,
    side: "client" | "server",
    onread: OnreadSource,
  ) {
    super(socket, key, side, onread);
    this.#onread = onread;
  }

  readInto(target: Uint8Array): Promise<number | null> {
    return this.#onread.readInto(target);
  }
}

function onEnd(this: ChannelSocket): void {
  this[CHANNEL].source.end();
}

function onFinish(this: ChannelSocket): void {
  this[CHANNEL].finished();
}

function onError(this: ChannelSocket, error: Error): void {
  this[CHANNEL].source.end(error);
  this[CHANNEL].failWrites(error);
}

function onClose(this: ChannelSocket): void {
  this[CHANNEL].source.end();
  this[CHANNEL].failWrites(
    new ConnectionClosedError("Cannot write: the connection is closed"),
  );
}

/**
 * Wraps a connected Node socket as a channel; `onread` when the socket was
 * dialed with its `onread` option (the channel then offers `readInto()`).
 */
export function socketChannel(
  socket: net.Socket,
  key: ParsedKey,
  side: "client" | "server",
  onread?: OnreadSource,
): Channel {
  return onread === undefined
    ? new SocketChannel(socket, key, side)
    : new DirectSocketChannel(socket, key, side, onread);
}
