/**
 * The log events of a {@linkcode ConnectionPool}.
 *
 * @module
 */

import { log } from "../logger.ts";
import type { PoolEventInit, PoolEventType } from "./pool_event.ts";

/**
 * Logs a pool event (only called while a logger is set).
 *
 * @param type The event's type.
 * @param init What happened.
 */
export function logPoolEvent(type: PoolEventType, init: PoolEventInit): void {
  const key = String(init.key);
  const attempt = init.attempt ?? 1;
  if (type === "connecterror") {
    log(
      "warn",
      {
        event: "pool.connect_error",
        key,
        attempt,
        delay: init.delay,
        err: init.error,
      },
      `pool cannot connect ${key} (attempt ${attempt}): ${
        errorText(init.error)
      }`,
    );
  } else if (type === "connect") {
    log(
      "debug",
      { event: "pool.connect", key, attempt },
      `pool connected ${key} (attempt ${attempt})`,
    );
  } else {
    log(
      "debug",
      { event: "pool.disconnect", key, err: init.error },
      `pool disconnected ${key} (${errorText(init.error)})`,
    );
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
