/**
 * A fault-injecting TCP proxy on 127.0.0.1, built from the runtime's own
 * adapter (so it runs on Deno, Bun and Node): it forwards bytes both ways
 * between each client and the upstream server, and can cut a connection at
 * an exact byte of either direction or make it go silent without closing.
 *
 * @module
 */

import type { Channel, Listener } from "../../src/channel/channel.ts";
import type { DialFunction } from "../../src/client/dialers.ts";
import { TransportKey } from "../../src/channel/transport_key.ts";

/** Which way bytes flow: from the server to the client, or back. */
export type Way = "toClient" | "toServer";

/** One proxied connection. */
export class Link {
  readonly client: Channel;
  readonly server: Channel;
  /** Bytes forwarded each way. */
  readonly forwarded: Record<Way, number> = { toClient: 0, toServer: 0 };
  /** Resolves once both pumps stopped and both channels are closed. */
  readonly done: Promise<void>;
  #cutAt: Record<Way, number> = { toClient: Infinity, toServer: Infinity };
  #silent = false;
  #closed = false;

  constructor(client: Channel, server: Channel) {
    this.client = client;
    this.server = server;
    this.done = Promise.all([
      this.#pump(server, client, "toClient"),
      this.#pump(client, server, "toServer"),
    ]).then(() => this.close());
  }

  /**
   * Cuts the connection once `bytes` more bytes went `way`: the receiver
   * gets exactly those bytes, then end of stream, and both sockets close.
   */
  cutAfter(way: Way, bytes: number): void {
    this.#cutAt[way] = bytes;
  }

  /** Stops forwarding both ways without closing anything (half-open). */
  goSilent(): void {
    this.#silent = true;
  }

  /** Closes both sockets at once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.client.close();
    this.server.close();
  }

  async #pump(from: Channel, to: Channel, way: Way): Promise<void> {
    const reader = from.readable.getReader();
    const writer = to.writable.getWriter();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this.#closed) break;
        if (this.#silent) continue; // read and dropped: nothing arrives
        const cutAt = this.#cutAt[way];
        if (value.byteLength >= cutAt) {
          if (cutAt > 0) await writer.write(value.subarray(0, cutAt));
          this.forwarded[way] += cutAt;
          // End of stream after exactly the prefix, then everything closes.
          await writer.close().catch(() => {});
          this.close();
          return;
        }
        this.#cutAt[way] = cutAt - value.byteLength;
        await writer.write(value);
        this.forwarded[way] += value.byteLength;
      }
      if (!this.#closed && !this.#silent) await writer.close();
    } catch {
      this.close();
    } finally {
      reader.releaseLock();
      writer.releaseLock();
    }
  }
}

/** A proxy in front of one upstream key. */
export class FaultProxy {
  /** Where clients connect: `tcp://127.0.0.1:port`. */
  readonly key: string;
  /** Every connection so far, in order. */
  readonly links: Link[] = [];
  #listener: Listener;
  #accepting: Promise<void>;

  private constructor(
    listener: Listener,
    upstream: string,
    dial: DialFunction,
  ) {
    this.#listener = listener;
    const port = (listener.addr as { port: number }).port;
    this.key = `tcp://127.0.0.1:${port}`;
    const key = TransportKey.from(upstream);
    this.#accepting = (async () => {
      for await (const client of listener) {
        let server: Channel;
        try {
          server = await dial(key, {});
        } catch {
          client.close();
          continue;
        }
        this.links.push(new Link(client, server));
      }
    })().catch(() => {});
  }

  /**
   * Starts a proxy on 127.0.0.1, port 0.
   *
   * @param adapter The runtime's `listen` and `dial`.
   * @param upstream The server's key.
   */
  static async start(
    adapter: { listen(key: string): Promise<Listener>; dial: DialFunction },
    upstream: string,
  ): Promise<FaultProxy> {
    const listener = await adapter.listen("tcp://127.0.0.1:0");
    return new FaultProxy(listener, upstream, adapter.dial);
  }

  /** Stops accepting, closes every connection, and waits for the pumps. */
  async close(): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    for (const link of this.links) link.close();
    await Promise.all(this.links.map((link) => link.done));
  }
}
