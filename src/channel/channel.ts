/**
 * The {@linkcode Channel}: one reliable, ordered byte stream in both
 * directions. Adapters turn sockets into channels; the core only ever sees
 * this interface.
 *
 * @module
 */

/**
 * The address of one end of a channel. `transport` says what kind of stream it
 * is; TCP and TLS addresses have `hostname` and `port`, Unix sockets have
 * `path`, in-memory pipes have `name`.
 *
 * @example Reading a channel's addresses, and naming them as keys
 * ```ts
 * import { TransportKey } from "listenrain";
 * import type { ChannelAddr } from "listenrain/advanced";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const [client, server] = createMemoryPipe({ names: ["client", "server"] });
 * const peer: ChannelAddr = client.remoteAddr;
 * console.log(peer); // { transport: "mem", name: "server" }
 * const tcp: ChannelAddr = { transport: "tcp", hostname: "::1", port: 7000 };
 * console.log(`${TransportKey.from(peer)} ${TransportKey.from(tcp)}`); // "mem://server tcp://[::1]:7000"
 * client.close();
 * server.close();
 * ```
 */
export interface ChannelAddr {
  /** The kind of stream: `"tcp"`, `"tls"`, `"unix"`, `"mem"`, `"ws"` or `"wss"`. */
  readonly transport: "tcp" | "tls" | "unix" | "mem" | "ws" | "wss";
  /** Host name or IP address (TCP and TLS). */
  readonly hostname?: string;
  /** Port number (TCP and TLS). */
  readonly port?: number;
  /** File system path (Unix sockets); URL path (WebSocket, on the dialing side). */
  readonly path?: string;
  /** Name (in-memory pipes). */
  readonly name?: string;
}

/**
 * One reliable byte stream, in the shape of `Deno.Conn`.
 *
 * Rules every implementation follows:
 * - `readable` yields the bytes the peer sent, in order, and closes when the
 *   peer half-closes or the channel closes; it errors (with any error) when the
 *   stream breaks, for example on a peer reset. Every chunk it yields belongs
 *   to the reader: the channel never reuses or changes it.
 * - `writable` accepts `Uint8Array` chunks; its `write()` promise resolves
 *   once the channel holds no reference to the chunk any more (the bytes were
 *   handed to the operating system, or copied), so the writer may then reuse
 *   the chunk's memory. While the underlying stream is full, `write()` waits
 *   (backpressure). Closing it half-closes the channel.
 * - `close()` closes both directions at once and never throws; it is safe to
 *   call more than once.
 * - `io`, if present, is the same byte stream as plain calls (see
 *   {@linkcode ChannelIO}): the socket adapters and the memory pipe offer it,
 *   and the core reads and writes through it instead of the web streams,
 *   which it then never touches. A channel without `io` (any pair of web
 *   streams) works the same. To write a channel of your own with `io`,
 *   extend `IOChannel` (`channel_io.ts`): it makes the streams from the
 *   calls.
 *
 * @example A channel from a pair of web streams
 * ```ts
 * import type { Channel } from "listenrain";
 *
 * const echo = new TransformStream<Uint8Array, Uint8Array>();
 * const channel: Channel = {
 *   readable: echo.readable,
 *   writable: echo.writable,
 *   localAddr: { transport: "mem", name: "echo" },
 *   remoteAddr: { transport: "mem", name: "echo" },
 *   close() {
 *     echo.writable.abort().catch(() => {});
 *   },
 * };
 * console.log(channel.localAddr.transport); // "mem"
 * ```
 */
export interface Channel {
  /** The bytes the peer sends. */
  readonly readable: ReadableStream<Uint8Array>;
  /** The bytes sent to the peer. */
  readonly writable: WritableStream<Uint8Array>;
  /** This end's address. */
  readonly localAddr: ChannelAddr;
  /** The peer's address. */
  readonly remoteAddr: ChannelAddr;
  /** Closes both directions now. Safe to call more than once. */
  close(): void;
  /**
   * The same bytes as plain calls, without web streams: optional. Use either
   * `io` or `readable`/`writable`, not both.
   */
  readonly io?: ChannelIO;
  /**
   * The certificate the peer presented in the TLS handshake, verified
   * against the trusted CAs; `undefined` when it presented none, and on
   * channels that are not TLS. On a server's channel it is the client's
   * certificate, so it is set only when the listener asked for one
   * (`tls.caCerts` in the listen options); on a dialed channel, the
   * server's. Set by the Node and Bun adapters; always `undefined` on Deno
   * (`Deno.TlsConn` does not show the peer's certificate, and
   * `Deno.listenTls` cannot ask clients for one).
   */
  readonly peerCertificate?: PeerCertificate;
}

/**
 * The identity in a TLS peer's certificate, as a channel shows it in
 * {@linkcode Channel.peerCertificate}: enough to decide who the caller is
 * (its subject or alternative names) and to pin it (its fingerprint).
 *
 * @example Who is calling, on a server that asks clients for certificates
 * ```ts
 * import type { Channel } from "listenrain";
 * import type { PeerCertificate } from "listenrain/advanced";
 *
 * function callerName(channel: Pick<Channel, "peerCertificate">): string {
 *   const cert: PeerCertificate | undefined = channel.peerCertificate;
 *   if (cert === undefined) return "anonymous";
 *   const dns = cert.subjectAltNames.find((name) => name.startsWith("DNS:"));
 *   return dns?.slice(4) ?? cert.subject;
 * }
 * const channel = {
 *   peerCertificate: {
 *     subject: "CN=listenrain test client",
 *     subjectAltNames: ["DNS:client.localhost"],
 *     issuer: "CN=listenrain test CA",
 *     fingerprint256: "A1:5A:AA:8D",
 *     validTo: new Date("2126-10-28T05:19:56Z"),
 *   },
 * };
 * console.log(callerName(channel)); // "client.localhost"
 * ```
 */
export interface PeerCertificate {
  /**
   * The subject's distinguished name, its attributes in the certificate's
   * order joined by `", "` (values escaped as in RFC 4514), for example
   * `"O=Acme, CN=billing"`.
   */
  readonly subject: string;
  /**
   * The subject alternative names, each as `type:value` the way OpenSSL
   * prints them: `"DNS:api.example.com"`, `"IP Address:127.0.0.1"`,
   * `"URI:spiffe://example.com/billing"`, `"email:ops@example.com"`.
   */
  readonly subjectAltNames: readonly string[];
  /** The issuer's distinguished name, written as `subject` is. */
  readonly issuer: string;
  /**
   * The SHA-256 fingerprint of the certificate (DER): upper-case hex byte
   * pairs joined by `":"`.
   */
  readonly fingerprint256: string;
  /** When the certificate expires (its `notAfter`). */
  readonly validTo: Date;
}

/**
 * A channel's bytes as plain calls: the optional fast path beside a
 * {@linkcode Channel}'s `readable` and `writable`, with the same rules. It
 * exists because web streams cost memory and time per connection on some
 * runtimes (on Node, a stream pair holds about 8 KiB per idle connection and
 * adds a promise and a few objects per chunk); a channel that offers `io`
 * can build its web streams lazily, on first use, from these calls.
 *
 * - `read()` resolves to the next chunk the peer sent (owned by the caller),
 *   to `null` once the peer half-closed or the channel closed, and rejects
 *   when the stream broke. One call at a time: call again once it settled.
 *   While nobody reads, the channel reads ahead a bounded amount, then stops.
 * - `write()` takes one chunk and returns `undefined` when the channel
 *   already holds no reference to it (the kernel took every byte), or a
 *   promise that resolves once it holds none; it rejects (or throws) once
 *   the channel is closed or broken. One call at a time.
 * - `readInto()`, optional, reads into the caller's buffer (a large frame's
 *   own, so its bytes are not copied from a chunk): it resolves to how many
 *   bytes it put at the buffer's start (more than 0), or `null` as `read()`
 *   does, and holds no reference to the buffer once settled. It is called
 *   only while no `read()` is pending, and `read()` only while no
 *   `readInto()` is.
 * - `writev()`, optional, writes several chunks as one call where the
 *   runtime can, so a frame's header and its large body leave together.
 * - `closeWrite()` half-closes: the peer reads end of stream.
 *
 * @example Reading and writing a memory channel through its calls
 * ```ts
 * import type { ChannelIO } from "listenrain/advanced";
 *
 * const chunks = [new Uint8Array([1, 2]), new Uint8Array([3])];
 * const written: Uint8Array[] = [];
 * const io: ChannelIO = {
 *   read: () => Promise.resolve(chunks.shift() ?? null),
 *   write(chunk) {
 *     written.push(chunk.slice());
 *     return undefined;
 *   },
 *   closeWrite: () => Promise.resolve(),
 * };
 * for (let chunk; (chunk = await io.read()) !== null;) await io.write(chunk);
 * console.log(written.length); // 2
 * ```
 */
export interface ChannelIO {
  /** The next chunk, or `null` at end of stream. One call at a time. */
  read(): Promise<Uint8Array | null>;
  /**
   * Optional: reads into `target` instead of a chunk of the channel's.
   * Resolves to the count read into `target`'s start (more than 0), or
   * `null` at end of stream; the channel holds no reference to `target`
   * once settled. One call at a time, never while `read()` is pending.
   */
  readInto?(target: Uint8Array): Promise<number | null>;
  /**
   * Writes `chunk`: `undefined` when done at once, else a promise that
   * resolves when the channel no longer holds the chunk. One call at a time.
   */
  write(chunk: Uint8Array): Promise<void> | undefined;
  /**
   * Writes several chunks in order, as one call to the operating system
   * where the runtime can (Node's `writev`); otherwise as `write()` of each.
   * Optional. Same result and rules as `write()`, for the last chunk.
   */
  writev?(chunks: readonly Uint8Array[]): Promise<void> | undefined;
  /** Half-closes the channel: the peer reads end of stream. */
  closeWrite(): Promise<void>;
}

/**
 * Where channels come from on a server: an async iterable of accepted
 * channels. `close()` stops accepting and ends the iteration; channels already
 * accepted stay open and belong to whoever took them.
 *
 * @example An accept loop that works with any listener
 * ```ts
 * import type { Listener } from "listenrain";
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * async function serveEcho(listener: Listener): Promise<void> {
 *   for await (const channel of listener) {
 *     channel.readable.pipeTo(channel.writable).catch(() => {});
 *   }
 * }
 * const listener = await new MemoryNetwork().listen("mem://echo");
 * const serving = serveEcho(listener);
 * console.log(listener.addr); // { transport: "mem", name: "echo" }
 * listener.close();
 * await serving; // close() ended the loop
 * ```
 */
export interface Listener extends AsyncIterable<Channel> {
  /** The address the listener is bound to (with the real port after port 0). */
  readonly addr: ChannelAddr;
  /** Stops accepting. Safe to call more than once. */
  close(): void;
}

/**
 * Where channels come from on a client: opens one new channel per call.
 *
 * @example A health check that works with any dialer
 * ```ts
 * import { type Dialer, EndpointDialer } from "listenrain/advanced";
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * async function reachable(dialer: Dialer): Promise<boolean> {
 *   try {
 *     (await dialer.dial()).close();
 *     return true;
 *   } catch {
 *     return false;
 *   }
 * }
 * const network = new MemoryNetwork();
 * const listener = await network.listen("mem://db");
 * const dialer = new EndpointDialer("mem://db", (key, o) => network.dial(key, o));
 * console.log(await reachable(dialer)); // true
 * listener.close();
 * console.log(await reachable(dialer)); // false
 * ```
 */
export interface Dialer {
  /**
   * Opens a channel.
   *
   * @param options `signal` aborts the attempt.
   * @returns The connected channel.
   */
  dial(options?: { signal?: AbortSignal }): Promise<Channel>;
}
