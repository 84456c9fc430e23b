/**
 * What the Bun channel itself spends writing a large frame, without the
 * socket: its vectored write of a frame's header and its body over a fake
 * socket that takes every byte, µs per call, and the writes per frame. A
 * frame of up to 512 KiB (`WHOLE_MAX`) is copied whole into one write; of a
 * larger one, the header and the body's first 16 KiB: into a buffer shared
 * by the thread's sockets (`writev`), against `gather()`'s new array per
 * frame (what the channel did before 55a4276).
 *
 * The whole frame's copy costs its sender a few µs at 256 KiB and saves its
 * receiver far more: a frame written in two parts mostly reached the peer
 * in two reads, which cost it a new 256 KiB array, the copy of the frame
 * into it and one more read. With one in flight (node
 * scripts/bench_compare.mjs --runtime bun --peers listenrain,raw --parallel
 * 1 --payload 256k --cpu), the peers assembled ~61-66 % of the frames
 * before and ~33-37 % after, and spent ~20 % less CPU per request.
 *
 * The sockets' own cost (the kernel's copies, Bun's copy of each received
 * chunk out of its 512 KiB receive buffer, page faults on fresh memory) is
 * the same for the raw echo (bench/compare/raw_bun.ts) and is not measured
 * here: bench/large_frames_bench.ts measures both end to end.
 *
 * Run: bun bench/bun_large_frames_bench.ts [--seconds 1]
 * (also node --import tsx, deno run -A: the channel is runtime-neutral.)
 *
 * @module
 */

import process from "node:process";
import { SocketState } from "../adapters/_bun_channel.ts";
import { gather } from "../adapters/_gather.ts";
import type { BunSocket } from "../adapters/_bun_api.ts";
import { args, cpuMs, flag, formatSize } from "./_process.ts";

const argv = args();
const seconds = Number(
  flag(argv, "seconds", process.env.BENCH_QUICK === "1" ? "0.05" : "1"),
);

/** Calls `fn` for `seconds`; CPU ms per call. */
function measure(fn: () => void): number {
  for (let i = 0; i < 50; i++) fn();
  const cpu = cpuMs();
  const end = performance.now() + seconds * 1000;
  let calls = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 20; i++) fn();
    calls += 20;
  }
  return (cpuMs() - cpu) / calls;
}

console.log(`Bun channel writev of a large frame, ${seconds} s per row`);
console.log("| case | size | cost |");
console.log("| ---- | ---- | ---- |");

const state = new SocketState();
let sink = 0;
let writes = 0;
state.attach({
  data: state,
  write(chunk: Uint8Array) {
    writes++;
    sink ^= chunk[chunk.length - 1];
    return chunk.length;
  },
  shutdown() {},
  end() {},
} as BunSocket);
const header = new Uint8Array(20);
for (const size of [32 * 1024, 256 * 1024, 1024 * 1024]) {
  const body = new Uint8Array(size);
  const before = writes;
  state.writev([header, body]);
  const perFrame = writes - before;
  const us = measure(() => state.writev([header, body])) * 1000;
  console.log(
    `| writev, ${perFrame} write(s) per frame | ${formatSize(size)} | ${
      us.toFixed(2)
    } µs |`,
  );
  // As before: gather() copies the head into a new array per frame.
  const old = measure(() => {
    for (const write of gather([header, body])) state.write(write);
  }) * 1000;
  console.log(
    `| writev, a new array per frame | ${formatSize(size)} | ${
      old.toFixed(2)
    } µs |`,
  );
}

if (sink === -1) console.log(sink);
process.exit(0);
