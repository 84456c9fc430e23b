/**
 * A minimal Chrome DevTools Protocol client for the inspector of a Node or
 * Deno process started with `--inspect=127.0.0.1:<port>`: enough to take a
 * CPU profile over a window the driver chooses and to read a value from the
 * process (scripts/cpu_breakdown.mjs).
 *
 * @module
 */

import { createServer } from "node:net";
import WebSocket from "ws";

/**
 * A free TCP port on 127.0.0.1 (bound, read, released).
 *
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** One inspector session. */
export class Inspector {
  #ws;
  #id = 0;
  #pending = new Map();

  /** @param {WebSocket} ws an open socket to the debugger URL */
  constructor(ws) {
    this.#ws = ws;
    ws.on("message", (data) => {
      const message = JSON.parse(String(data));
      const waiter = this.#pending.get(message.id);
      if (!waiter) return;
      this.#pending.delete(message.id);
      if (message.error) {
        waiter.reject(new Error(`${waiter.method}: ${message.error.message}`));
      } else waiter.resolve(message.result);
    });
  }

  /**
   * Connects to the inspector on `port`, retrying for up to `seconds`.
   *
   * @param {number} port
   * @param {number} [seconds]
   * @returns {Promise<Inspector>}
   */
  static async connect(port, seconds = 20) {
    const until = Date.now() + seconds * 1000;
    for (;;) {
      try {
        const list = await (await fetch(`http://127.0.0.1:${port}/json/list`))
          .json();
        const ws = new WebSocket(list[0].webSocketDebuggerUrl);
        await new Promise((resolve, reject) => {
          ws.once("open", resolve);
          ws.once("error", reject);
        });
        return new Inspector(ws);
      } catch (error) {
        if (Date.now() > until) {
          throw new Error(`No inspector on port ${port}`, { cause: error });
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /**
   * Sends one command.
   *
   * @param {string} method
   * @param {Record<string, unknown>} [params]
   * @returns {Promise<any>} its result
   */
  send(method, params = {}) {
    return new Promise((resolve, reject) => {
      const id = ++this.#id;
      this.#pending.set(id, { resolve, reject, method });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /**
   * Evaluates an expression in the process and returns its value.
   *
   * @param {string} expression
   * @returns {Promise<unknown>}
   */
  async value(expression) {
    const { result, exceptionDetails } = await this.send("Runtime.evaluate", {
      expression,
      returnByValue: true,
    });
    if (exceptionDetails) {
      throw new Error(`${expression}: ${exceptionDetails.text}`);
    }
    return result.value;
  }

  /** Closes the session. */
  close() {
    this.#ws.close();
  }
}
