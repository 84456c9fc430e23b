/**
 * The parts of Bun's API the Bun adapter uses, typed locally (no
 * bun-types), and small helpers over them. Private to `adapters/`.
 *
 * @module
 */

import type { ParsedKey } from "./_key.ts";
import type { RuntimeCertificate } from "./_peer_certificate.ts";
import type { SocketState } from "./_bun_channel.ts";

/** A Bun socket (`Bun.connect`, `Bun.listen`), with its `data`. */
export interface BunSocket {
  data: SocketState;
  write(bytes: Uint8Array): number;
  shutdown(): void;
  end(): void;
  close?(): void;
  pause?(): void;
  resume?(): void;
  setNoDelay?(noDelay?: boolean): boolean;
  setKeepAlive?(enable?: boolean, initialDelay?: number): boolean;
  getTLSTicket?(): unknown;
  getPeerCertificate?(): RuntimeCertificate | null;
  readonly localAddress?: string;
  readonly localPort?: number;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
}

/** The socket handlers of `Bun.connect` and `Bun.listen`. */
export interface BunHandlers {
  /** How `data` delivers bytes: `"uint8array"`, not Bun's `Buffer`. */
  binaryType?: "uint8array" | "buffer" | "arraybuffer";
  open(socket: BunSocket): void;
  handshake(socket: BunSocket, success: boolean, error: Error | null): void;
  data(socket: BunSocket, bytes: Uint8Array): void;
  drain(socket: BunSocket): void;
  end(socket: BunSocket): void;
  close(socket: BunSocket, error?: Error): void;
  error(socket: BunSocket, error: Error): void;
}

/** The options of `Bun.connect` and `Bun.listen`. */
export interface BunOptions {
  hostname?: string;
  port?: number;
  unix?: string;
  tls?: {
    ca?: string[];
    cert?: string;
    key?: string;
    serverName?: string;
    requestCert?: boolean;
    rejectUnauthorized: boolean;
  };
  allowHalfOpen: true;
  socket: BunHandlers;
  data?: SocketState;
  reusePort?: boolean;
  backlog?: number;
}

/** The `Bun` global. */
export interface BunLike {
  connect(options: BunOptions): Promise<BunSocket>;
  listen(options: BunOptions): { readonly port?: number; stop(): void };
}

/** Bun, or a clear error on another runtime. */
export function bun(): BunLike {
  const runtime = (globalThis as unknown as { Bun?: BunLike }).Bun;
  if (runtime !== undefined) return runtime;
  throw new Error(
    "adapters/bun.ts needs Bun: use adapters/deno.ts or adapters/node.ts",
  );
}

/** Closes a socket gracefully (FIN, not RST), like Node's `destroy()`. */
export function closeSocket(socket: BunSocket): void {
  // On TLS, end() only half-closes (close_notify) and keeps reading.
  if (socket.close) socket.close();
  else socket.end();
}

/** Where to connect or bind: a Unix path, or a host and port. */
export function where(
  key: ParsedKey,
): { hostname?: string; port?: number; unix?: string } {
  return key.transport === "unix"
    ? { unix: key.path }
    : { hostname: key.hostname, port: key.port };
}
