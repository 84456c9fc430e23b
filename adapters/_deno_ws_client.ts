/**
 * The WebSocket client the Deno adapter dials `ws://` and `wss://` with: the
 * web `WebSocket`'s shape (what the channel uses of it) over `Deno.connect`
 * or `Deno.connectTls`, with `TCP_NODELAY` set. Deno's global `WebSocket`
 * leaves Nagle's algorithm on and writes a message's header and its payload
 * in two writes when the payload is over 1 KiB, so the payload waits for the
 * peer's delayed ACK, some 40 ms, on every message (measured: 370 requests/s
 * at 16 in flight instead of tens of thousands). This client also trusts the
 * adapter's `tls.caCerts` for `wss://`, and refuses a message over
 * `maxMessageSize` from its header, before buffering it (close code 1009).
 * Private to `adapters/`.
 *
 * @module
 */

import type {
  WebSocketConstructor,
  WebSocketLike,
} from "../src/channel/websocket_options.ts";
import { markSendCopies } from "../src/channel/websocket_channel.ts";
import { MaskedFrames } from "./_masked_frames.ts";

interface DenoConn {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
  setNoDelay?(noDelay?: boolean): void;
}

interface DenoNet {
  connect(options: { hostname: string; port: number }): Promise<DenoConn>;
  connectTls(
    options: { hostname: string; port: number; caCerts?: string[] },
  ): Promise<DenoConn>;
}

/** Options of {@linkcode denoWebSocketClass}. */
export interface DenoWebSocketOptions {
  /** CA certificates (PEM) to trust for `wss://`, beside the system's. */
  caCerts?: string[];
  /** The largest message accepted; a larger one closes with 1009. */
  maxMessageSize: number;
}

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** A frame at least this large that is not all in the buffer is read into its own array. */
const DIRECT_READ = 16 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
// deno-lint-ignore no-explicit-any
type Listener = (event: any) => void;

/**
 * A `WebSocket` class over Deno's sockets, for `dialWebSocket`'s
 * `WebSocket` option.
 *
 * @param options CA certificates and the largest message.
 * @returns The class.
 */
export function denoWebSocketClass(
  options: DenoWebSocketOptions,
): WebSocketConstructor {
  return class extends DenoSocketWebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, options);
    }
  };
}

/** The client socket: connect, handshake, frames. */
class DenoSocketWebSocket implements WebSocketLike {
  readyState = 0;
  bufferedAmount = 0;
  binaryType = "blob";
  readonly #listeners = new Map<string, Listener[]>();
  readonly #options: DenoWebSocketOptions;
  #conn: DenoConn | undefined;
  /** Frames not yet written. */
  #out = new MaskedFrames();
  #pumping = false;
  #closeSent = false;
  #ended = false;
  #buffer = new Uint8Array(64 * 1024);
  #length = 0;
  /** A large frame's payload, read straight into its own array. */
  #large:
    | { fin: boolean; opcode: number; payload: Uint8Array; filled: number }
    | undefined;
  #fragments: Uint8Array[] = [];
  #fragmentsLength = 0;
  #messageOpcode = 2;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    url: string,
    protocols: string | string[] | undefined,
    options: DenoWebSocketOptions,
  ) {
    this.#options = options;
    // send() frames a copy of the bytes at once.
    markSendCopies(this);
    this.#run(new URL(url), protocols).catch((error) => {
      if (this.readyState < 2) this.#emit("error", { error });
      this.#end(1006, "");
    });
  }

  addEventListener(type: string, listener: Listener): void {
    const list = this.#listeners.get(type) ?? [];
    list.push(listener);
    this.#listeners.set(type, list);
  }

  send(data: Uint8Array): void {
    if (this.readyState !== 1) return;
    this.#write(2, data);
  }

  close(code = 1000, reason = ""): void {
    if (this.readyState >= 2) return;
    const wasOpen = this.readyState === 1;
    this.readyState = 2;
    if (!wasOpen) return; // #run sees it once connected
    this.#sendClose(code, reason);
    // The peer answers with its close frame; stop waiting after a while.
    this.#closeTimer = setTimeout(() => this.#end(code, reason), 2000);
  }

  #emit(type: string, event: object): void {
    for (const listener of this.#listeners.get(type) ?? []) listener(event);
  }

  async #run(url: URL, protocols?: string | string[]): Promise<void> {
    const net = (globalThis as unknown as { Deno: DenoNet }).Deno;
    const secure = url.protocol === "wss:";
    const port = Number(url.port || (secure ? 443 : 80));
    const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const conn = secure
      ? await net.connectTls({ hostname, port, caCerts: this.#options.caCerts })
      : await net.connect({ hostname, port });
    this.#conn = conn;
    conn.setNoDelay?.(true);
    if (this.readyState >= 2) return this.#end(1006, "");
    const key = btoa(String.fromCharCode(...random(16)));
    const offered = typeof protocols === "string" ? [protocols] : protocols;
    await writeAll(
      conn,
      encoder.encode(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n` +
          "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
          (offered?.length
            ? `Sec-WebSocket-Protocol: ${offered.join(", ")}\r\n`
            : "") +
          "\r\n",
      ),
    );
    let end = -1;
    while ((end = indexOfBlankLine(this.#buffer, this.#length)) < 0) {
      if (this.#length > 16 * 1024 || !(await this.#fill())) {
        throw new Error("The server closed or sent no HTTP answer");
      }
    }
    const head = decoder.decode(this.#buffer.subarray(0, end));
    const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
    if (status !== "101") {
      throw new Error(`The server answered the upgrade with ${status}`);
    }
    const accept = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(head)?.[1];
    const digest = await crypto.subtle.digest(
      "SHA-1",
      encoder.encode(key + GUID),
    );
    if (accept !== btoa(String.fromCharCode(...new Uint8Array(digest)))) {
      throw new Error("The server's Sec-WebSocket-Accept is wrong");
    }
    this.#consume(end + 4);
    if (this.readyState >= 2) return this.#end(1006, "");
    this.readyState = 1;
    this.#emit("open", {});
    do this.#frames(); while (!this.#ended && await this.#fill());
    this.#end(1006, "");
  }

  /** Reads more into the buffer (or a large frame's payload); false at the end. */
  async #fill(): Promise<boolean> {
    const large = this.#large;
    if (large !== undefined) {
      const n = await this.#conn!.read(large.payload.subarray(large.filled));
      if (n === null) return false;
      large.filled += n;
      if (large.filled === large.payload.length) {
        this.#large = undefined;
        this.#frame(large.fin, large.opcode, large.payload);
      }
      return true;
    }
    if (this.#buffer.length - this.#length < 16 * 1024) {
      const grown = new Uint8Array(this.#buffer.length * 2);
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    const n = await this.#conn!.read(this.#buffer.subarray(this.#length));
    if (n === null) return false;
    this.#length += n;
    return true;
  }

  #consume(n: number): void {
    this.#buffer.copyWithin(0, n, this.#length);
    this.#length -= n;
  }

  /** Handles every whole frame in the buffer. */
  #frames(): void {
    let at = 0;
    const b = this.#buffer;
    while (!this.#ended && this.#length - at >= 2) {
      const fin = (b[at] & 0x80) !== 0;
      const opcode = b[at] & 0x0f;
      let size = b[at + 1] & 0x7f;
      let head = 2;
      if (b[at + 1] & 0x80) return this.#fail(1002, "masked server frame");
      if (size === 126) {
        if (this.#length - at < 4) break;
        size = (b[at + 2] << 8) | b[at + 3];
        head = 4;
      } else if (size === 127) {
        if (this.#length - at < 10) break;
        const view = new DataView(b.buffer, b.byteOffset + at + 2, 8);
        size = view.getUint32(0) * 2 ** 32 + view.getUint32(4);
        head = 10;
      }
      if (size + this.#fragmentsLength > this.#options.maxMessageSize) {
        return this.#fail(1009, "message too big");
      }
      const available = this.#length - at - head;
      if (available < size) {
        if (size >= DIRECT_READ && available >= 0) {
          // The rest of the payload is read into its own array: no copy of
          // it out of the buffer, nor of the buffer's tail to its start.
          const payload = new Uint8Array(size);
          payload.set(b.subarray(at + head, this.#length));
          this.#large = { fin, opcode, payload, filled: available };
          at = this.#length;
        }
        break;
      }
      const payload = b.slice(at + head, at + head + size);
      at += head + size;
      this.#frame(fin, opcode, payload);
    }
    this.#consume(at);
  }

  #frame(fin: boolean, opcode: number, payload: Uint8Array): void {
    if (opcode === 8) {
      const code = payload.length >= 2 ? (payload[0] << 8) | payload[1] : 1005;
      const reason = decoder.decode(payload.subarray(2));
      if (!this.#closeSent) this.#sendClose(code === 1005 ? 1000 : code, "");
      return this.#end(code, reason);
    }
    if (opcode === 9) return this.#write(10, payload);
    if (opcode === 10) return;
    if (opcode === 1 || opcode === 2) {
      this.#fragments = [];
      this.#fragmentsLength = 0;
      this.#messageOpcode = opcode;
    } else if (opcode !== 0) return this.#fail(1002, `opcode ${opcode}`);
    this.#fragments.push(payload);
    this.#fragmentsLength += payload.length;
    if (!fin) return;
    const parts = this.#fragments;
    let message = parts[0] ?? new Uint8Array(0);
    if (parts.length > 1) {
      message = new Uint8Array(this.#fragmentsLength);
      let offset = 0;
      for (const part of parts) {
        message.set(part, offset);
        offset += part.length;
      }
    }
    this.#fragments = [];
    this.#fragmentsLength = 0;
    this.#emit("message", {
      data: this.#messageOpcode === 1 ? decoder.decode(message) : message,
    });
  }

  #fail(code: number, reason: string): void {
    if (!this.#closeSent) this.#sendClose(code, reason);
    this.#end(code, reason);
  }

  #sendClose(code: number, reason: string): void {
    this.#closeSent = true;
    const text = encoder.encode(reason.slice(0, 120));
    const payload = new Uint8Array(2 + text.length);
    payload[0] = code >> 8;
    payload[1] = code & 0xff;
    payload.set(text, 2);
    this.#write(8, payload);
  }

  #write(opcode: number, payload: Uint8Array): void {
    if (this.#ended || this.#conn === undefined) return;
    const before = this.#out.length;
    this.#out.put(opcode, payload);
    this.bufferedAmount += this.#out.length - before;
    if (!this.#pumping) void this.#pump();
  }

  /** Writes the frames put so far in one write, again while more come. */
  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#out.length > 0 && !this.#ended) {
        const bytes = this.#out.take();
        await writeAll(this.#conn!, bytes);
        this.bufferedAmount -= bytes.length;
        this.#out.release(bytes);
      }
    } catch {
      this.#end(1006, "");
    } finally {
      this.#pumping = false;
    }
  }

  /** Closes the connection and reports the close once. */
  #end(code: number, reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.readyState = 3;
    clearTimeout(this.#closeTimer);
    const conn = this.#conn;
    // Let a queued close frame go first.
    const pending = this.#out.length > 0 || this.#pumping;
    const closeConn = () => {
      try {
        conn?.close();
      } catch { /* closed */ }
    };
    if (pending && conn) {
      writeAll(conn, this.#out.take()).catch(() => {}).finally(closeConn);
    } else closeConn();
    this.#emit("close", { code, reason });
  }
}

function random(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

function indexOfBlankLine(buffer: Uint8Array, length: number): number {
  for (let i = 0; i + 3 < length; i++) {
    if (
      buffer[i] === 13 && buffer[i + 1] === 10 && buffer[i + 2] === 13 &&
      buffer[i + 3] === 10
    ) return i;
  }
  return -1;
}

async function writeAll(conn: DenoConn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) {
    at += await conn.write(bytes.subarray(at));
  }
}
