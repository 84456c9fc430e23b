/**
 * The CPU table of `npm run bench:compare -- --cpu`: per cell, each peer's
 * CPU time per request on the client and on the server (process.cpuUsage
 * over the closed loops, warm-up included, ÷ replies), and listenrain's
 * total ÷ raw's. CPU time is what a busy machine disturbs least: requests/s
 * there swing with the scheduler, the work per request much less.
 *
 * @module
 */

import { formatSize, printHeader } from "./_bench.mjs";

/**
 * Prints the table.
 *
 * @param {{ peers: string[], cases: [number, number][], names: Record<string, string>,
 *   find: (peer: string, parallel: number, payload: number) => any }} table
 */
export function printCpu({ peers, cases, names, find }) {
  const withRatio = peers.includes("listenrain") && peers.includes("raw");
  console.log(
    "\nCPU time per request, µs, client / server (process.cpuUsage over the closed loops, warm-up included, ÷ replies):\n",
  );
  const header = [
    "parallel",
    "payload",
    ...peers.map((peer) => names[peer]),
    ...(withRatio ? ["listenrain ÷ raw (client + server)"] : []),
  ];
  printHeader(header);
  const total = (r) => r.cpuUs.client + r.cpuUs.server;
  const ok = (r) => r !== undefined && r.error === undefined && r.cpuUs;
  for (const [parallel, payload] of cases) {
    const cell = peers.map((peer) => find(peer, parallel, payload));
    const byPeer = Object.fromEntries(peers.map((peer, i) => [peer, cell[i]]));
    const [mine, raw] = [byPeer.listenrain, byPeer.raw];
    console.log(
      `| ${
        [
          parallel,
          formatSize(payload),
          ...cell.map((r) =>
            ok(r)
              ? `${r.cpuUs.client.toFixed(2)} / ${r.cpuUs.server.toFixed(2)}`
              : "–"
          ),
          ...(withRatio
            ? [
              ok(mine) && ok(raw) ? (total(mine) / total(raw)).toFixed(2) : "–",
            ]
            : []),
        ].join(" | ")
      } |`,
    );
  }
}
