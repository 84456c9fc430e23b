/**
 * Loggers that record their calls, shaped like the loggers users connect:
 * console's methods take any arguments, pino's take (object, message?).
 */

import type { Logger } from "../../mod.ts";
import type { LogEvent, LogLevel } from "../../advanced.ts";

/** One recorded call. */
export interface Call {
  level: LogLevel;
  event: LogEvent;
  message: string;
}

/** A console-shaped object: each method takes `...data: unknown[]`. */
export function consoleLike(): {
  logger: {
    debug(...data: unknown[]): void;
    info(...data: unknown[]): void;
    warn(...data: unknown[]): void;
    error(...data: unknown[]): void;
    log(...data: unknown[]): void;
  };
  calls: Call[];
  raw: unknown[][];
} {
  const calls: Call[] = [];
  const raw: unknown[][] = [];
  const method = (level: LogLevel) => (...data: unknown[]) => {
    raw.push(data);
    calls.push({
      level,
      event: data[0] as LogEvent,
      message: data[1] as string,
    });
  };
  return {
    logger: {
      debug: method("debug"),
      info: method("info"),
      warn: method("warn"),
      error: method("error"),
      log: method("info"),
    },
    calls,
    raw,
  };
}

/** pino's method signature: an object first, then an optional message. */
interface PinoLogFn {
  <T extends object>(obj: T, msg?: string, ...args: unknown[]): void;
  (obj: unknown, msg?: string, ...args: unknown[]): void;
  (msg: string, ...args: unknown[]): void;
}

/** The part of a pino logger listenrain uses, with its level and child. */
export interface PinoLike {
  level: string;
  trace: PinoLogFn;
  debug: PinoLogFn;
  info: PinoLogFn;
  warn: PinoLogFn;
  error: PinoLogFn;
  fatal: PinoLogFn;
  child(bindings: Record<string, unknown>): PinoLike;
}

/**
 * A pino-shaped logger writing JSON lines as pino does: the object's fields
 * merged into the line, `msg` the message, an `err` field serialized as
 * `{ type, message, stack }`, and `debug` dropped at the default level
 * `info`.
 */
export function pinoLike(
  lines: Record<string, unknown>[] = [],
  bindings: Record<string, unknown> = {},
): PinoLike & { lines: Record<string, unknown>[] } {
  const LEVELS = {
    trace: 10,
    debug: 20,
    info: 30,
    warn: 40,
    error: 50,
    fatal: 60,
  };
  const self = {
    level: "info",
    lines,
    child: (more: Record<string, unknown>) =>
      pinoLike(lines, { ...bindings, ...more }),
  } as unknown as PinoLike & { lines: Record<string, unknown>[] };
  for (const [name, value] of Object.entries(LEVELS)) {
    const fn = function (this: PinoLike, obj: unknown, msg?: unknown) {
      if (value < LEVELS[this.level as keyof typeof LEVELS]) return;
      const line: Record<string, unknown> = { level: value, ...bindings };
      if (typeof obj === "string") line.msg = obj;
      else {
        for (const [k, v] of Object.entries(obj as object)) {
          line[k] = k === "err" && v instanceof Error
            ? { type: v.name, message: v.message, stack: v.stack }
            : v;
        }
        if (msg !== undefined) line.msg = msg;
      }
      lines.push(JSON.parse(JSON.stringify(line)));
    };
    (self as unknown as Record<string, unknown>)[name] = fn;
  }
  return self;
}

/** A `Logger` recording every call, at every level. */
export function recorder(): { logger: Logger; calls: Call[] } {
  const calls: Call[] = [];
  const method = (level: LogLevel) => (event: LogEvent, message: string) =>
    void calls.push({ level, event, message });
  return {
    logger: {
      debug: method("debug"),
      info: method("info"),
      warn: method("warn"),
      error: method("error"),
    },
    calls,
  };
}

/** The calls of one event name. */
export function named(calls: Call[], name: LogEvent["event"]): Call[] {
  return calls.filter((call) => call.event.event === name);
}
