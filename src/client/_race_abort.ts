/**
 * Racing a dial against an abort signal, for {@linkcode EndpointDialer}.
 *
 * @module
 */

import type { Channel } from "../channel/channel.ts";

/** Settles with `promise`, or rejects when `signal` aborts; a late channel is closed. */
export function raceAbort(
  promise: Promise<Channel>,
  signal: AbortSignal,
): Promise<Channel> {
  return new Promise<Channel>((resolve, reject) => {
    let settled = false;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then((channel) => {
      signal.removeEventListener("abort", onAbort);
      if (settled) return channel.close();
      settled = true;
      resolve(channel);
    }, (error) => {
      signal.removeEventListener("abort", onAbort);
      if (settled) return;
      settled = true;
      reject(error);
    });
  });
}
