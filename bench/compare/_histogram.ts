/**
 * A latency histogram in the manner of HdrHistogram: values are recorded as
 * whole nanoseconds into log-linear buckets (each power of two split into 64
 * linear steps), so recording is a few integer operations, memory is fixed
 * (about 2,300 counters up to 2^40 ns, some 18 minutes) and any percentile is
 * within 1/64 (1.6 %) of the recorded value. Runtime-neutral.
 *
 * @module
 */

/** Linear steps per power of two: the histogram's precision, 1 / HALF. */
const HALF = 64;
/** Values below this are stored exactly, one bucket each. */
const EXACT = 2 * HALF;
/** Bucket count: values up to 2^MAX_BITS ns; larger ones land in the last. */
const MAX_BITS = 40;
const BUCKETS = (MAX_BITS - 6) * HALF + EXACT;
const TWO_32 = 2 ** 32;

/** floor(log2(v)) for an integer 1 ≤ v < 2^53, exactly. */
function log2(v: number): number {
  return v >= TWO_32
    ? 63 - Math.clz32(Math.floor(v / TWO_32))
    : 31 - Math.clz32(v);
}

/** The bucket of `ns` (a non-negative integer). */
function bucketOf(ns: number): number {
  if (ns < EXACT) return ns;
  const shift = log2(ns) - 6; // ≥ 1: ns ≥ 128 = 2^7
  const index = shift * HALF + Math.floor(ns / 2 ** shift);
  return index < BUCKETS ? index : BUCKETS - 1;
}

/** The smallest value of bucket `index` and the first of the next. */
function boundsOf(index: number): [number, number] {
  if (index < EXACT) return [index, index + 1];
  const shift = Math.floor(index / HALF) - 1;
  const step = 2 ** shift;
  const low = (index - shift * HALF) * step;
  return [low, low + step];
}

/** Latency percentiles in microseconds, as the benchmark tables print them. */
export interface LatencySummary {
  /** Values recorded. */
  count: number;
  /** Median, µs. */
  p50: number;
  /** 99th percentile, µs. */
  p99: number;
  /** 99.9th percentile, µs. */
  p999: number;
  /** Largest value recorded, µs. */
  max: number;
}

/**
 * Counts values (latencies) and answers percentiles.
 *
 * @example Record and read the median
 * ```ts
 * const h = new Histogram();
 * for (const ms of [0.05, 0.06, 0.07]) h.record(ms);
 * h.percentile(50); // ≈ 60_000 ns
 * ```
 */
export class Histogram {
  #counts = new Float64Array(BUCKETS);
  #count = 0;
  #min = Infinity;
  #max = 0;

  /** Values recorded. */
  get count(): number {
    return this.#count;
  }

  /** The smallest value recorded, ns (`Infinity` when empty). */
  get min(): number {
    return this.#min;
  }

  /** The largest value recorded, ns (0 when empty). */
  get max(): number {
    return this.#max;
  }

  /**
   * Records one duration.
   *
   * @param ms Milliseconds, as `performance.now()` differences are; a
   *   negative value counts as 0.
   */
  record(ms: number): void {
    this.recordNs(ms > 0 ? Math.round(ms * 1e6) : 0);
  }

  /**
   * Records one value in nanoseconds.
   *
   * @param ns A non-negative integer.
   */
  recordNs(ns: number): void {
    this.#counts[bucketOf(ns)]++;
    this.#count++;
    if (ns < this.#min) this.#min = ns;
    if (ns > this.#max) this.#max = ns;
  }

  /**
   * The value below or at which `p` percent of the recorded values lie: the
   * top of the bucket holding the value of that rank (rank ⌈p/100 · count⌉,
   * at least 1), clamped to the smallest and largest values recorded.
   *
   * @param p A percentage, 0 to 100.
   * @returns Nanoseconds; 0 when nothing was recorded.
   * @throws {RangeError} If `p` is outside 0 to 100.
   */
  percentile(p: number): number {
    if (!(p >= 0 && p <= 100)) {
      throw new RangeError(`Percentile ${p} is outside 0 to 100`);
    }
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.#count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i];
      if (seen >= rank) {
        const top = boundsOf(i)[1] - 1;
        return Math.min(Math.max(top, this.#min), this.#max);
      }
    }
    return this.#max;
  }

  /**
   * Adds every value of `other`.
   *
   * @param other Another histogram.
   */
  add(other: Histogram): void {
    const counts = other.#counts;
    for (let i = 0; i < BUCKETS; i++) this.#counts[i] += counts[i];
    this.#count += other.#count;
    this.#min = Math.min(this.#min, other.#min);
    this.#max = Math.max(this.#max, other.#max);
  }

  /** @returns p50, p99, p99.9 and the maximum, in µs. */
  summary(): LatencySummary {
    const us = (ns: number) => Math.round(ns / 10) / 100;
    return {
      count: this.#count,
      p50: us(this.percentile(50)),
      p99: us(this.percentile(99)),
      p999: us(this.percentile(99.9)),
      max: us(this.#max),
    };
  }
}
