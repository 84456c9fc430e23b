/**
 * A small authoritative DNS server for the tests: UDP on 127.0.0.1 (an
 * ephemeral port), the real wire protocol (RFC 1035 header, question and
 * answer records; A, AAAA and SRV), records the test changes while clients
 * run, and a count of the queries per name and type. Runs on Deno, Bun and
 * Node (`node:dgram`).
 *
 * @module
 */

import { createSocket, type Socket } from "node:dgram";
import { concat } from "../_helpers/bytes.ts";

/** One SRV record. */
export interface SrvRecord {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

/** The records of one name. */
export interface Records {
  A?: string[];
  AAAA?: string[];
  SRV?: SrvRecord[];
}

const TYPES: Record<number, keyof Records> = { 1: "A", 28: "AAAA", 33: "SRV" };

/** A DNS server on 127.0.0.1; `records` may change at any time. */
export class DnsServer {
  readonly records: Map<string, Records> = new Map();
  /** Queries seen, by `name type` (`api.test A`). */
  readonly queries: Map<string, number> = new Map();
  /** Times of the queries seen (performance.now()), by `name type`. */
  readonly times: Map<string, number[]> = new Map();
  #socket: Socket;
  port = 0;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on("message", (message, remote) => {
      let reply: Uint8Array;
      try {
        reply = this.#answer(new Uint8Array(message));
      } catch {
        return; // not a query we understand: no answer
      }
      socket.send(reply, remote.port, remote.address);
    });
  }

  /** Starts a server on an ephemeral port of 127.0.0.1. */
  static async start(): Promise<DnsServer> {
    const socket = createSocket("udp4");
    const server = new DnsServer(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, "127.0.0.1", () => resolve());
    });
    server.port = socket.address().port;
    return server;
  }

  /** Sets (or with `undefined`, removes) the records of `name`. */
  set(name: string, records: Records | undefined): void {
    if (records === undefined) this.records.delete(lower(name));
    else this.records.set(lower(name), records);
  }

  /** Queries of `name` for `type` so far. */
  count(name: string, type: keyof Records): number {
    return this.queries.get(`${lower(name)} ${type}`) ?? 0;
  }

  /** Stops the server. */
  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }

  #answer(query: Uint8Array): Uint8Array {
    const view = new DataView(query.buffer, query.byteOffset, query.byteLength);
    const id = view.getUint16(0);
    const flags = view.getUint16(2);
    if (flags & 0x8000 || view.getUint16(4) !== 1) {
      throw new Error("not a query");
    }
    const [name, end] = readName(query, 12);
    const type = view.getUint16(end);
    const question = query.subarray(12, end + 4);
    const typeName = TYPES[type];
    const key = `${name} ${typeName ?? type}`;
    this.queries.set(key, (this.queries.get(key) ?? 0) + 1);
    const times = this.times.get(key) ?? [];
    times.push(performance.now());
    this.times.set(key, times);
    const records = this.records.get(name);
    const answers: Uint8Array[] = [];
    if (records && typeName) {
      for (const value of records[typeName] ?? []) {
        answers.push(record(type, rdata(typeName, value)));
      }
    }
    const header = new Uint8Array(12);
    const out = new DataView(header.buffer);
    out.setUint16(0, id);
    // QR, opcode 0, AA, RD copied; rcode 3 (NXDOMAIN) for an unknown name.
    out.setUint16(2, 0x8400 | (flags & 0x0100) | (records ? 0 : 3));
    out.setUint16(4, 1);
    out.setUint16(6, answers.length);
    return concat([header, question, ...answers]);
  }
}

function lower(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}

function readName(message: Uint8Array, offset: number): [string, number] {
  const labels: string[] = [];
  for (;;) {
    const length = message[offset];
    if (length === undefined || length > 63) throw new Error("bad name");
    offset++;
    if (length === 0) break;
    labels.push(
      new TextDecoder().decode(message.subarray(offset, offset + length)),
    );
    offset += length;
  }
  return [lower(labels.join(".")), offset];
}

function encodeName(name: string): Uint8Array {
  const parts = lower(name).split(".").filter((label) => label !== "");
  return concat([
    ...parts.flatMap((label) => {
      const bytes = new TextEncoder().encode(label);
      return [Uint8Array.of(bytes.length), bytes];
    }),
    Uint8Array.of(0),
  ]);
}

function rdata(type: keyof Records, value: string | SrvRecord): Uint8Array {
  if (type === "A") {
    return Uint8Array.from((value as string).split(".").map(Number));
  }
  if (type === "AAAA") return ipv6(value as string);
  const srv = value as SrvRecord;
  const head = new Uint8Array(6);
  const view = new DataView(head.buffer);
  view.setUint16(0, srv.priority);
  view.setUint16(2, srv.weight);
  view.setUint16(4, srv.port);
  return concat([head, encodeName(srv.target)]);
}

function ipv6(address: string): Uint8Array {
  const [head, tail = ""] = address.split("::");
  const left = head ? head.split(":") : [];
  const right = address.includes("::") && tail ? tail.split(":") : [];
  const groups = address.includes("::")
    ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right]
    : left;
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  groups.forEach((group, i) => view.setUint16(i * 2, parseInt(group, 16)));
  return bytes;
}

function record(type: number, data: Uint8Array): Uint8Array {
  const head = new Uint8Array(12);
  const view = new DataView(head.buffer);
  view.setUint16(0, 0xc00c); // the question's name
  view.setUint16(2, type);
  view.setUint16(4, 1); // IN
  view.setUint32(6, 1); // TTL 1 s
  view.setUint16(10, data.length);
  return concat([head, data]);
}
