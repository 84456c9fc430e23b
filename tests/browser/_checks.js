// What the browser test runs inside the demo page (tests/browser/chromium.ts
// adds this module to the page): each check uses listenrain as the page
// does, through /listenrain.js and the page's own client from /app.js, and
// returns plain data for the test to assert on.

import {
  Client,
  ConnectionClosedError,
  dialWebSocket,
  MessageTooLargeError,
} from "/listenrain.js";
import { client, received } from "/app.js";

const endpoint = `ws://${location.host}/rpc`;

/** `size` bytes of a fixed pseudo-random sequence (xorshift32). */
function pattern(size) {
  const bytes = new Uint8Array(size);
  let x = 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

globalThis.checks = {
  /** How many `tick` pushes the page has received. */
  ticks: () => received.ticks,

  /** `count` requests at once on the page's client; which came back, how. */
  async concurrent(count) {
    const arrived = [];
    const replies = await Promise.all(
      Array.from(
        { length: count },
        (_, i) =>
          client.request("double", i).then((reply) => {
            arrived.push(i);
            return reply;
          }),
      ),
    );
    return {
      replies: replies.length,
      mismatched: replies.filter((reply, i) => reply !== 2 * i).length,
      distinct: new Set(arrived).size,
      inOrder: arrived.every((n, i) => n === i),
    };
  },

  /** Echoes `size` bytes on a raw-body client; compares what came back. */
  async payload(size) {
    const sent = pattern(size);
    const raw = new Client({ endpoint, dial: dialWebSocket });
    try {
      const got = await raw.request("echo", sent);
      let firstDifference = -1;
      for (let i = 0; i < Math.min(got.length, size); i++) {
        if (got[i] !== sent[i]) {
          firstDifference = i;
          break;
        }
      }
      return { length: got.length, firstDifference };
    } finally {
      await raw.close();
    }
  },

  /**
   * Sends `size` bytes from a client whose channel sends messages of up to
   * `maxMessageSize` (more than the server's 1 MiB); returns the error.
   */
  async oversized(size, maxMessageSize) {
    const big = new Client({
      endpoint,
      dial: (key, options) =>
        dialWebSocket(key, { ...options, maxMessageSize }),
    });
    try {
      await big.request("echo", new Uint8Array(size));
      return { refused: false };
    } catch (error) {
      return {
        refused: true,
        name: error.name,
        closed: error instanceof ConnectionClosedError,
        cause: error.cause?.name,
        tooLarge: error.cause instanceof MessageTooLargeError,
        code: error.cause?.code,
      };
    } finally {
      await big.close();
    }
  },

  /** `hello` on the page's client, waiting for it to (re)connect. */
  hello: (name) =>
    client.request("hello", name, { waitForReady: true, timeout: 20_000 }),
};
