/**
 * Process CPU and memory readings for benchmark tables (`node:process` works
 * on Deno, Bun and Node).
 *
 * @module
 */

import process from "node:process";

/** CPU time used by this process so far, in ms. */
export function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Resident set size in MiB. */
export function rssMiB(): number {
  return process.memoryUsage.rss() / (1024 * 1024);
}

/** Command-line arguments after the script. */
export function args(): string[] {
  return process.argv.slice(2);
}

/**
 * Reads `--name value` from the arguments.
 *
 * @param argv The arguments.
 * @param name The flag's name, without dashes.
 * @param fallback The value when the flag is absent.
 * @returns The flag's value.
 */
export function flag(argv: string[], name: string, fallback: string): string {
  const at = argv.indexOf(`--${name}`);
  if (at >= 0 && at + 1 < argv.length) return argv[at + 1];
  const inline = argv.find((a) => a.startsWith(`--${name}=`));
  return inline ? inline.slice(name.length + 3) : fallback;
}

/**
 * Parses a comma list of sizes like `4k,32k,256k,4m` or `64,4096`.
 *
 * @param list The list.
 * @returns The sizes in bytes.
 * @throws {RangeError} On an entry that is not a size.
 */
export function sizes(list: string): number[] {
  return list.split(",").map((item) => {
    const match = /^(\d+)([kKmM]?)$/.exec(item.trim());
    if (!match) throw new RangeError(`Not a size: "${item}"`);
    const unit = match[2].toLowerCase();
    return Number(match[1]) *
      (unit === "k" ? 1024 : unit === "m" ? 1 << 20 : 1);
  });
}

/** Formats a byte count as `4 KiB`, `4 MiB` or `64 B`. */
export function formatSize(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes >> 20} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes >> 10} KiB`;
  return `${bytes} B`;
}

/**
 * Shows a progress line on a terminal (stderr), overwriting the previous one;
 * prints nothing when stderr is not a terminal.
 *
 * @param line The text; `""` clears the line.
 */
export function progress(line: string): void {
  if (!process.stderr.isTTY) return;
  process.stderr.write(`\r${line.padEnd(72)}\r`);
}
