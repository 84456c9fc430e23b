/**
 * SendQueue against the naive way to send frames: one `writer.write()` per
 * frame. 16 frames of 64 B are queued in one tick, then flushed, over a
 * WritableStream whose sink does nothing (so the numbers are the cost of
 * queueing and of the stream's own machinery, not of a socket).
 *
 * Run: node --import tsx bench/send_queue_bench.ts
 *      deno run -A bench/send_queue_bench.ts
 *      bun bench/send_queue_bench.ts
 *
 * @module
 */

import { bench, group, run, summary } from "./_mitata.ts";
import { SendQueue } from "../src/queue/send_queue.ts";

const FRAMES = 16;
const frames = Array.from(
  { length: FRAMES },
  (_, i) => new Uint8Array(64).fill(i),
);
const frameParts = frames.map((frame) => [frame]);

let writes = 0;
function noopWritable(): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    write() {
      writes++;
    },
  });
}

const queue = new SendQueue(noopWritable());
const writer = noopWritable().getWriter();

group(
  `push ${FRAMES} frames of 64 B in one tick, then wait until written`,
  () => {
    summary(() => {
      bench("SendQueue.push x16 + flush (one write)", async () => {
        for (const parts of frameParts) queue.push(parts);
        await queue.flush();
      });
      bench("naive: writer.write() per frame", async () => {
        let last: Promise<void> | undefined;
        for (const frame of frames) last = writer.write(frame);
        await last;
      }).baseline(true);
    });
  },
);

// How the queue schedules its end-of-turn flush: Node's queueMicrotask()
// makes an AsyncResource and a bound function per call (measured on Node
// 20: ~200-400 ns against ~40-70 ns); Deno's and Bun's are native.
const SETTLED = Promise.resolve();
let flushes = 0;
const flushTask = (): void => {
  flushes++;
};
group("schedule 64 end-of-turn flushes, then let them run", () => {
  summary(() => {
    bench("a settled promise's then() (what SendQueue does)", async () => {
      for (let i = 0; i < 64; i++) void SETTLED.then(flushTask);
      await null;
    });
    bench("queueMicrotask()", async () => {
      for (let i = 0; i < 64; i++) queueMicrotask(flushTask);
      await null;
    }).baseline(true);
  });
});

await run();
if (flushes === 0) throw new Error("no flush ran");
await queue.close();
await writer.close();
if (writes === 0) throw new Error("nothing was written");
