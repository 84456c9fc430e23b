/**
 * Checks the options of a `ConnectionMonitor`, so servers and pools can
 * reject bad ones when they are built. Private to the package.
 *
 * @module
 */

import type { HeartbeatOptions } from "./connection_monitor.ts";

/** The checked times of a monitor; 0 means off. */
export interface MonitorTimes {
  idleTimeout: number;
  firstFrameTimeout: number;
  /** `undefined` when there is no heartbeat. */
  heartbeat: Required<HeartbeatOptions> | undefined;
}

/**
 * @throws {RangeError} If a time is negative or not finite, or the heartbeat
 *   interval or timeout is 0.
 */
export function checkMonitorOptions(options: {
  idleTimeout?: number;
  firstFrameTimeout?: number;
  heartbeat?: HeartbeatOptions;
}): MonitorTimes {
  const idleTimeout = checkTime("idleTimeout", options.idleTimeout ?? 0);
  const firstFrameTimeout = checkTime(
    "firstFrameTimeout",
    options.firstFrameTimeout ?? 0,
  );
  const heartbeat = options.heartbeat;
  if (heartbeat === undefined) {
    return { idleTimeout, firstFrameTimeout, heartbeat: undefined };
  }
  const interval = checkTime("heartbeat.interval", heartbeat.interval);
  const timeout = checkTime("heartbeat.timeout", heartbeat.timeout ?? interval);
  if (interval === 0 || timeout === 0) {
    throw new RangeError("heartbeat interval and timeout must be > 0");
  }
  return { idleTimeout, firstFrameTimeout, heartbeat: { interval, timeout } };
}

function checkTime(name: string, value: number): number {
  if (typeof value !== "number" || !(value >= 0) || value === Infinity) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
  }
  return value;
}
