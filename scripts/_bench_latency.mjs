/**
 * The latency table of `npm run bench:compare`: per cell, each peer's p50 /
 * p99 / p99.9 in the closed loops and at the cell's fixed offered rate, and
 * listenrain's p99 ÷ raw's at that rate against the target of issue 18.
 *
 * @module
 */

import { formatSize } from "./_bench.mjs";

/** The target: listenrain's p99 at most 1.3 × raw's at the same rate. */
export const TARGET_P99 = 1.3;

/** An open loop that reached less than this share of its rate is marked. */
const SATURATED = 0.95;

/**
 * Formats microseconds for a table: `8.4`, `412`, `3.1 ms`, `1.2 s`.
 *
 * @param {number} us
 * @returns {string}
 */
export function formatMicros(us) {
  if (us < 10) return us.toFixed(1);
  if (us < 1000) return String(Math.round(us));
  if (us < 1e6) return `${(us / 1000).toFixed(us < 1e4 ? 1 : 0)} ms`;
  return `${(us / 1e6).toFixed(1)} s`;
}

/** `p50 / p99 / p99.9` of a latency summary (µs). */
function triple(latency) {
  if (!latency || latency.count === 0) return "–";
  return [latency.p50, latency.p99, latency.p999].map(formatMicros).join(
    " / ",
  );
}

/**
 * Prints the latency table.
 *
 * @param {{
 *   peers: string[],
 *   cases: [number, number][],
 *   rows: Record<string, any>[],
 *   names: Record<string, string>,
 *   find: (peer: string, parallel: number, payload: number) => any,
 *   reference: string,
 *   pace: string,
 * }} table
 */
export function printLatency(
  { peers, cases, rows, names, find, reference, pace },
) {
  const ok = (r) => r !== undefined && r.error === undefined;
  const anyOpen = rows.some((r) => ok(r) && r.open);
  const ratio = peers.includes("listenrain") && peers.includes("raw") &&
    anyOpen;
  const header = [
    "parallel",
    "payload",
    ...peers.map((peer) => `${names[peer]}, closed`),
    ...(anyOpen
      ? ["offered req/s", ...peers.map((peer) => `${names[peer]} at that rate`)]
      : []),
    ...(ratio ? ["listenrain p99 ÷ raw p99 at that rate"] : []),
  ];
  let marked = false;
  let saturated = false;
  const lines = [];
  for (const [parallel, payload] of cases) {
    const cell = peers.map((peer) => find(peer, parallel, payload));
    const offered = cell.find((r) => ok(r) && r.open)?.open.offered;
    const openCell = (r) => {
      if (!ok(r) || !r.open) return "–";
      const share = r.open.reqPerSec / r.open.offered;
      if (share >= SATURATED) return triple(r.open.latency);
      saturated = true;
      return `${triple(r.open.latency)} (${Math.round(share * 100)} %)`;
    };
    const p99Ratio = () => {
      const [a, b] = [peers.indexOf("listenrain"), peers.indexOf("raw")]
        .map((i) => cell[i]);
      if (!ok(a) || !ok(b) || !a.open || !b.open) return "–";
      if (!(b.open.latency.p99 > 0)) return "–";
      const value = a.open.latency.p99 / b.open.latency.p99;
      const above = value > TARGET_P99;
      if (above) marked = true;
      return `${value.toFixed(2)}${above ? " *" : ""}`;
    };
    lines.push([
      parallel,
      formatSize(payload),
      ...cell.map((r) => ok(r) ? triple(r.latency) : "FAILED"),
      ...(anyOpen
        ? [
          offered === undefined ? "–" : Math.round(offered),
          ...cell.map(openCell),
        ]
        : []),
      ...(ratio ? [p99Ratio()] : []),
    ]);
  }
  const widths = header.map((h, i) =>
    Math.max(h.length, ...lines.map((line) => String(line[i]).length))
  );
  const print = (cells) =>
    console.log(
      `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(" | ")} |`,
    );
  console.log(
    `\nRequest latency in µs, p50 / p99 / p99.9: in the closed loops above (send to reply)${
      anyOpen
        ? `, and in an open loop at one offered rate per cell (a share of ${reference}'s closed-loop rate in that cell, at most \`parallel\` in flight; latency from the time each request was due; ${
          pace === "poll"
            ? "the client polls between sends"
            : "the client sleeps between sends, on a timer, and a request that fell due while a slot was free counts from the client's first wake-up after it, at most 2 ms later"
        })`
        : ""
    }.\n`,
  );
  print(header);
  print(widths.map((w) => "-".repeat(w)));
  for (const line of lines) print(line);
  if (saturated) {
    console.log(
      "\n(n %): the peer answered only n % of the offered rate; its latency includes the wait of requests the schedule had due.",
    );
  }
  if (marked) console.log(`* above the target of ${TARGET_P99} × raw's p99`);
}
