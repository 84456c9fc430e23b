/**
 * Argument checks and the default error sink of a
 * {@linkcode BoundedExecutor}.
 *
 * @module
 */

export function checkCount(name: string, value: number, min: number): void {
  if (typeof value !== "number") {
    throw new TypeError(
      `Invalid ${name}: expected a number, got ${typeof value}`,
    );
  }
  if (value !== Infinity && !(Number.isInteger(value) && value >= min)) {
    throw new RangeError(
      `Invalid ${name}: expected ${
        min === 0 ? "a non-negative" : "a positive"
      } integer or Infinity, got ${value}`,
    );
  }
}

export function defaultOnError(error: unknown): void {
  const global = globalThis as { reportError?: (error: unknown) => void };
  if (typeof global.reportError === "function") global.reportError(error);
  else console.error(error);
}
