/**
 * Bun's socket API (`Bun.listen`, `Bun.connect`), typed as the small local
 * interface the raw Bun baselines use (`bench/compare/raw_bun.ts`,
 * `bench/streams/raw_bun.ts`), so that they type-check under Deno and tsc.
 *
 * @module
 */

/** One Bun socket, with its `data`. */
export interface BunSocket<T> {
  data: T;
  write(bytes: Uint8Array): number;
  end(): void;
  setNoDelay?(noDelay?: boolean): boolean;
}

/** The socket handlers of `Bun.listen` and `Bun.connect`. */
export interface BunHandlers<T> {
  open?(socket: BunSocket<T>): void;
  data?(socket: BunSocket<T>, bytes: Uint8Array): void;
  drain?(socket: BunSocket<T>): void;
  close?(socket: BunSocket<T>): void;
  error?(socket: BunSocket<T>, error: Error): void;
}

/** What the baselines call of `Bun`. */
export interface BunLike {
  listen<T>(options: {
    hostname: string;
    port: number;
    backlog?: number;
    socket: BunHandlers<T>;
  }): { port: number };
  connect<T>(options: {
    hostname: string;
    port: number;
    data?: T;
    socket: BunHandlers<T>;
  }): Promise<BunSocket<T>>;
}

/** The `Bun` global (only read when running on Bun). */
export const bun: BunLike = (globalThis as unknown as { Bun: BunLike }).Bun;
