/**
 * Child of tests/timer/timer_park_test.ts: schedules and cancels timers on a
 * heap with the runtime's own timers, serves requests whose async handlers
 * get deadline timers on the transports' shared heap, closes everything,
 * prints "idle" and then must exit by itself: nothing may keep it alive.
 */
import { TimerHeap } from "../../src/timer/timer_heap.ts";
import { Router } from "../../src/transport/router.ts";
import { textBody } from "../../src/codec/body_codec.ts";
import { peers } from "../_helpers/pair.ts";

const timers = new TimerHeap();
for (let i = 0; i < 100; i++) timers.schedule(30_000, () => {}, i).cancel();

const router = new Router().handle("slow", async (body: string) => {
  await new Promise((resolve) => setTimeout(resolve, 1));
  return body;
});
const { client, close } = peers({ router, body: textBody }, {
  body: textBody,
});
for (let i = 0; i < 20; i++) await client.request("slow", String(i));
await close();
console.log("idle");
