// Completes package-lock.json with the entries of platform packages that the
// registry mirror here does not serve (Deno's binaries for macOS, Windows and
// Linux arm64; some of Buf's and msgpackr-extract's). `npm ci` insists that
// every optional dependency has a lock entry; on this platform it never
// downloads those packages, so an entry with `os`/`cpu` is all it needs. Run
// after `npm install` changes the lock.
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const packages = lock.packages;
let added = 0;
for (const [key, entry] of Object.entries({ ...packages })) {
  for (const name of Object.keys(entry.optionalDependencies ?? {})) {
    const target = `node_modules/${name}`;
    if (packages[target]) continue;
    // Deno's binaries, Buf's (@bufbuild/buf-*) and msgpackr's native
    // extension (@msgpackr-extract/*): the platform is the name's suffix.
    const match =
      /^@(?:deno\/|bufbuild\/buf-|msgpackr-extract\/msgpackr-extract-)(darwin|linux|win32)-(x64|arm64|aarch64|armv7|arm)(?:-(glibc))?$/
        .exec(name);
    if (!match) {
      throw new Error(`${key}: no lock entry for ${name}, and no rule for it`);
    }
    const [, os, arch, libc] = match;
    const cpu = { aarch64: "arm64", armv7: "arm" }[arch] ?? arch;
    packages[target] = {
      version: entry.optionalDependencies[name],
      cpu: [cpu],
      dev: true,
      ...(libc ? { libc: [libc] } : {}),
      license: entry.license ?? "MIT",
      optional: true,
      os: [os],
    };
    added++;
  }
}
const sorted = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) =>
    a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0
  ),
);
lock.packages = sorted;
writeFileSync(path, JSON.stringify(lock, null, 2) + "\n");
console.log(`complete_lock: added ${added} platform entries`);
