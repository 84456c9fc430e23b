/**
 * The parts of Deno's API the Deno adapter uses, typed locally (no Deno
 * namespace), and small helpers over them. Private to `adapters/`.
 *
 * @module
 */

/** A Deno `NetAddr` (or the parts of it used). */
export interface DenoAddr {
  readonly hostname?: string;
  readonly port?: number;
}

/** A `Deno.Conn` or `Deno.TlsConn`. */
export interface DenoConn {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  readonly localAddr: DenoAddr;
  readonly remoteAddr: DenoAddr;
  setNoDelay?(noDelay?: boolean): void;
  setKeepAlive?(keepAlive?: boolean): void;
  handshake?(): Promise<unknown>;
}

/** A `Deno.Listener`. */
export interface DenoListener {
  accept(): Promise<DenoConn>;
  close(): void;
  readonly addr: DenoAddr;
}

/** Where `Deno.connect` and `Deno.listen` go. */
export type NetOptions = {
  hostname?: string;
  port?: number;
  transport?: "tcp" | "unix";
  path?: string;
};

/** The `Deno` global. */
export interface DenoLike {
  connect(options: NetOptions & { signal?: AbortSignal }): Promise<DenoConn>;
  connectTls(
    options: NetOptions & { caCerts?: string[]; cert?: string; key?: string },
  ): Promise<DenoConn>;
  startTls(
    conn: DenoConn,
    options: { hostname?: string; caCerts?: string[] },
  ): Promise<DenoConn>;
  listen(
    options: NetOptions & { reusePort?: boolean; tcpBacklog?: number },
  ): DenoListener;
  listenTls(
    options: NetOptions & {
      cert: string;
      key: string;
      reusePort?: boolean;
      tcpBacklog?: number;
    },
  ): DenoListener;
  listenDatagram?: unknown;
  permissions?: {
    querySync?(descriptor: { name: "read"; path: string }): { state: string };
  };
  readTextFileSync(path: string): string;
}

/** Deno, or a clear error on another runtime. */
export function deno(): DenoLike {
  const runtime = (globalThis as unknown as { Deno?: DenoLike }).Deno;
  if (runtime === undefined) {
    throw new Error(
      "adapters/deno.ts needs the Deno runtime: use adapters/bun.ts or adapters/node.ts",
    );
  }
  return runtime;
}

/** Closes `resource`, ignoring that it may be closed already. */
export function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch { /* already closed */ }
}
