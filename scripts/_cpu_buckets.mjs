/**
 * Buckets of a CPU profile (the `.cpuprofile` JSON of V8's and Bun's
 * profilers) by the source file of each node's function, self time only:
 * which layer of listenrain (or of the runtime, or of the benchmark) the
 * sampled time was spent in. A node without a source (a native function or
 * runtime op called from JavaScript) counts for the bucket of the nearest
 * caller that has one; GC, idle and `(program)` (native code outside any
 * JavaScript, such as the event loop and socket reads) are buckets of their
 * own. Each sample counts for one sampling interval, so the figures
 * estimate CPU time of the profiled (main) thread. Used by
 * scripts/cpu_breakdown.mjs.
 *
 * @module
 */

/** The buckets, in the order they are printed. */
export const BUCKETS = [
  "socket I/O (runtime net JS + native calls)",
  "runtime streams (Web Streams, node:stream)",
  "event loop, ops, microtasks (runtime JS)",
  "channel adapter (adapters/, src/channel/)",
  "framing (src/framing/)",
  "envelope encode/decode (src/codec/)",
  "send queue (src/queue/)",
  "read loop, dispatch (src/transport/)",
  "pending table, ids, settling, API",
  "deadlines, timers",
  "handler runner, executor",
  "other src/",
  "raw peer (bench/compare/raw_*.ts)",
  "benchmark loop (bench/)",
  "runtime other (JS)",
  "native, outside JS ((program))",
  "GC",
  "idle",
];

/** src/transport/ files of the read loop and dispatch of frames. */
const DISPATCH =
  /\/src\/transport\/(_read_loop|_dispatch|_incoming|_incoming_context|_direct_frames|_link|_backlog)\./;
/** Deadline files outside src/timer/. */
const DEADLINES = /\/src\/transport\/(_handler_deadlines|_default_deadlines)\./;
/** Handler runner files outside src/executor/. */
const RUNNER =
  /\/src\/(transport\/(_handler_runner|_handler_failed)|connection\/(_route_handler|_async_reply))\./;

/**
 * The bucket of a function with a source URL.
 *
 * @param {string} url
 * @returns {string}
 */
export function bucketOfUrl(url) {
  if (url.includes("/bench/compare/raw_")) return BUCKETS[12];
  if (url.includes("/bench/")) return BUCKETS[13];
  if (url.includes("/src/framing/")) return BUCKETS[4];
  if (url.includes("/src/codec/")) return BUCKETS[5];
  if (url.includes("/src/queue/")) return BUCKETS[6];
  if (url.includes("/src/timer/") || DEADLINES.test(url)) return BUCKETS[9];
  if (url.includes("/src/executor/") || RUNNER.test(url)) return BUCKETS[10];
  if (DISPATCH.test(url)) return BUCKETS[7];
  if (/\/src\/(transport|connection|protocol)\//.test(url)) return BUCKETS[8];
  if (url.includes("/src/channel/") || url.includes("/adapters/")) {
    return BUCKETS[3];
  }
  if (url.includes("/src/")) return BUCKETS[11];
  if (
    /^node:(net|dgram|internal\/(net|stream_base_commons|tcp|dns))/.test(url) ||
    /^ext:deno_net\//.test(url) || /^node:internal\/deps\/.*socket/.test(url)
  ) return BUCKETS[0];
  if (/^node:(stream|internal\/streams\/|internal\/webstreams\/)/.test(url)) {
    return BUCKETS[1];
  }
  if (/^ext:deno_web\/.*streams/.test(url)) return BUCKETS[1];
  if (
    /^node:internal\/timers|^node:timers|^ext:deno_web\/02_timers/.test(url)
  ) {
    return BUCKETS[9];
  }
  if (
    /^node:internal\/(process\/task_queues|async_hooks)|^ext:core\//.test(url)
  ) return BUCKETS[2];
  return BUCKETS[14];
}

/**
 * Native functions and runtime ops that read or write a socket (their
 * callers are runtime JavaScript of other buckets, such as Deno's op
 * dispatch; Bun's `write` of a socket is a native called from the channel).
 */
const SOCKET_CALLS =
  /^(op_(net_|write|read|try_write|shutdown)|writeBuffer$|writev?$|write(Latin1|Utf8|Ascii|Ucs2)String$|readStart$|readStop$)/;

/** Names of profile nodes with no source that are buckets of their own. */
const SPECIAL = {
  "(garbage collector)": BUCKETS[16],
  "(idle)": BUCKETS[17],
  "(program)": BUCKETS[15],
  "(root)": BUCKETS[15],
};

/**
 * Self time of a profile by bucket and by function, in µs.
 *
 * @param {{ nodes: any[], samples: number[], timeDeltas: number[],
 *   startTime: number, endTime: number }} profile
 * @param {{ from: number, to: number }} [window] only the samples taken in
 *   this window (µs, the profile's clock: `startTime` plus the deltas)
 * @returns {{ buckets: Map<string, number>, functions: Map<string, number>,
 *   totalUs: number }}
 */
export function breakdown(profile, window) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const bucketOf = new Map();
  const bucket = (id) => {
    if (bucketOf.has(id)) return bucketOf.get(id);
    const { callFrame } = byId.get(id);
    let result = SPECIAL[callFrame.functionName];
    if (result === undefined) {
      if (callFrame.url) result = bucketOfUrl(callFrame.url);
      else if (SOCKET_CALLS.test(callFrame.functionName)) result = BUCKETS[0];
      else if (parent.has(id)) result = bucket(parent.get(id));
      else result = BUCKETS[15];
    }
    bucketOf.set(id, result);
    return result;
  };
  const self = new Map();
  let { samples } = profile;
  if (window) {
    let t = profile.startTime;
    samples = samples.filter((_, i) => {
      t += profile.timeDeltas[i];
      return t >= window.from && t <= window.to;
    });
  }
  // Each sample stands for one sampling interval (the median gap between
  // samples), not for the gap that precedes it: a thread that waited for a
  // core on a busy machine gets one late sample, and its wait must not count
  // as the time of the function it was in.
  const us = median(profile.timeDeltas.slice(1));
  for (const id of samples) self.set(id, (self.get(id) ?? 0) + us);
  const totalUs = samples.length * us;
  const buckets = new Map(BUCKETS.map((name) => [name, 0]));
  const functions = new Map();
  for (const [id, us] of self) {
    const name = bucket(id);
    buckets.set(name, buckets.get(name) + us);
    functions.set(
      functionName(byId, parent, id),
      (functions.get(functionName(byId, parent, id)) ?? 0) + us,
    );
  }
  return { buckets, functions, totalUs };
}

/**
 * A node's function as `name file:line`; a native function also names its
 * caller.
 */
function functionName(byId, parent, id) {
  const { functionName: name, url, lineNumber } = byId.get(id).callFrame;
  const label = name || "(anonymous)";
  if (url) {
    const file = url.replace(/^.*\/(src|adapters|bench)\//, "$1/")
      .replace(/^file:\/\/.*\//, "");
    return `${label} ${file}:${lineNumber + 1}`;
  }
  if (label.startsWith("(") || !parent.has(id)) return label;
  return `${label} ← ${functionName(byId, parent, parent.get(id))}`;
}

/** The median of a list of numbers (0 if empty). */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[sorted.length >> 1];
}
