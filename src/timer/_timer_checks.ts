/**
 * Argument checks and the default error sink of a {@linkcode TimerHeap}.
 *
 * @module
 */

export function checkDelay(
  name: string,
  value: number,
  positive: boolean,
): void {
  if (typeof value !== "number") {
    throw new TypeError(
      `Invalid ${name}: expected a number, got ${typeof value}`,
    );
  }
  if (!(positive ? value > 0 : value >= 0) || value === Infinity) {
    throw new RangeError(
      `Invalid ${name}: expected a finite number ${
        positive ? "> 0" : ">= 0"
      }, got ${value}`,
    );
  }
}

export function checkFunction(
  name: string,
  value: unknown,
  required: boolean,
): void {
  if (typeof value !== "function" && (required || value !== undefined)) {
    throw new TypeError(
      `Invalid ${name}: expected a function, got ${typeof value}`,
    );
  }
}

export function defaultOnError(error: unknown): void {
  const global = globalThis as { reportError?: (error: unknown) => void };
  if (typeof global.reportError === "function") global.reportError(error);
  else console.error(error);
}
