/**
 * The trace context's carrier: OpenTelemetry propagators read and write
 * listenrain {@linkcode Metadata} through these.
 *
 * @module
 */

import type { TextMapGetter, TextMapSetter } from "@opentelemetry/api";
import type { Metadata } from "../src/codec/metadata.ts";

/**
 * Writes a propagator's fields (`traceparent`, `tracestate`, `baggage`…)
 * into metadata, replacing any value already there. Keys are lower-cased
 * (metadata keys are lower-case ASCII); a field whose name is still not a
 * valid key is left out rather than failing the call.
 *
 * @internal
 */
export const metadataSetter: TextMapSetter<Metadata> = {
  set(carrier, key, value) {
    try {
      carrier.set(key.toLowerCase(), value);
    } catch {
      // Not a metadata key: this field is not propagated.
    }
  },
};

/**
 * Reads a propagator's fields from metadata: text values only (a bytes
 * value reads as absent).
 *
 * @internal
 */
export const metadataGetter: TextMapGetter<Metadata> = {
  keys(carrier) {
    return [...new Set([...carrier].map(([key]) => key))];
  },
  get(carrier, key) {
    const value = carrier.get(key.toLowerCase());
    return typeof value === "string" ? value : undefined;
  },
};
