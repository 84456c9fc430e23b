/**
 * Fuzz targets: every decoder of listenrain, fed random bytes (and mutated
 * valid input, to get past the first checks) cut into random chunks. The
 * property of each: nothing escapes but the documented error types
 * (`ProtocolError`, of which `FrameTooLargeError` is one, for framing and
 * envelopes; `CodecError` for bodies), and the decoders keep their bounds.
 * Packet decoders must also give the same frames, and fail the same way,
 * whatever the chunking.
 *
 * `decoders_test.ts` runs each target briefly on every runtime (`npm test`);
 * `scripts/fuzz.mjs` (`npm run fuzz`) runs a million cases, bounded in time.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { createRegistry } from "@bufbuild/protobuf";
import { cborBody } from "../../codecs/cbor.ts";
import { msgpackBody } from "../../codecs/msgpack.ts";
import { protobufAnyBody, protobufBody } from "../../codecs/protobuf.ts";
import {
  HelloReplySchema,
  HelloRequestSchema,
  OrderSchema,
} from "../../proto/gen/listenrain/example/v1/example_pb.ts";
import { createMemoryPipe } from "../../src/channel/memory_pipe.ts";
import {
  type BodyCodec,
  jsonBody,
  rawBody,
  textBody,
} from "../../src/codec/body_codec.ts";
import {
  type Envelope,
  ENVELOPE_KINDS,
  EnvelopeCodec,
} from "../../src/codec/envelope.ts";
import { Metadata } from "../../src/codec/metadata.ts";
import {
  CodecError,
  ConnectionClosedError,
  ProtocolError,
  RemoteError,
} from "../../src/errors.ts";
import { DelimitedCodec } from "../../src/framing/delimited.ts";
import { FixedSizeCodec } from "../../src/framing/fixed_size.ts";
import { LengthPrefixedCodec } from "../../src/framing/length_prefixed.ts";
import type { PacketCodec } from "../../src/framing/packet_codec.ts";
import { VarintPrefixedCodec } from "../../src/framing/varint.ts";
import { Connection } from "../../src/connection/connection.ts";
import { Router } from "../../src/transport/router.ts";
import { concat } from "../_helpers/bytes.ts";

/** One fuzz target: a property over random input. */
export interface FuzzTarget {
  /** A short name, for `--target` and reports. */
  readonly name: string;
  /** The property; sync targets run fast, async ones run a transport. */
  readonly property: fc.IProperty<never> | fc.IAsyncProperty<never>;
  /** Relative cost: async targets get fewer cases. @default {1} */
  readonly weight?: number;
}

// ---------------------------------------------------------------- input

/** Cut points, any number, anywhere (taken modulo the stream's length). */
const cuts = fc.array(fc.nat(), { maxLength: 16 });

/** Cuts `bytes` at `points` into fresh chunks (so views cannot alias). */
export function chunked(
  bytes: Uint8Array,
  points: readonly number[],
): Uint8Array[] {
  const at = [...new Set(points.map((p) => p % (bytes.byteLength + 1)))]
    .sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...at, bytes.byteLength]) {
    chunks.push(bytes.slice(start, point));
    start = point;
  }
  return chunks;
}

/** Applies random edits to `bytes`: flips, truncation, insertions. */
function mutate(
  bytes: Uint8Array,
  edits: readonly [number, number, number][],
): Uint8Array {
  let out = [...bytes];
  for (const [kind, where, value] of edits) {
    const at = out.length === 0 ? 0 : where % out.length;
    if (kind === 0 && out.length > 0) out[at] = value & 0xff;
    else if (kind === 1) out = out.slice(0, at);
    else if (kind === 2) out.splice(at, 0, value & 0xff);
    else if (kind === 3 && out.length > 0) out.splice(at, 1);
  }
  return new Uint8Array(out);
}

const edits = fc.array(
  fc.tuple(fc.integer({ min: 0, max: 3 }), fc.nat(), fc.nat({ max: 255 })),
  { maxLength: 4 },
);

/** Random bytes, or valid encodings of random payloads with a few edits. */
function streamOf(
  encode: (payloads: Uint8Array[]) => Uint8Array,
  payload: fc.Arbitrary<Uint8Array> = fc.uint8Array({ maxLength: 300 }),
): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 600 }),
    fc.tuple(fc.array(payload, { maxLength: 6 }), edits).map((
      [payloads, e],
    ) => mutate(encode(payloads), e)),
  );
}

/** Frames `payloads` with `codec`, skipping those it refuses. */
function encodeWith(codec: PacketCodec, payloads: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const payload of payloads) {
    try {
      for (const part of codec.encode([payload], payload.byteLength)) {
        parts.push(part.slice());
      }
    } catch { /* too large, contains the delimiter … */ }
  }
  return concat(parts);
}

// ---------------------------------------------------------------- framing

interface DecodeRun {
  frames: number[][];
  error: unknown;
  maxBuffered: number;
}

/** Decodes `chunks` until the first error; checks each frame's size. */
function decodeRun(
  codec: PacketCodec,
  chunks: readonly Uint8Array[],
): DecodeRun {
  const decoder = codec.createDecoder();
  const run: DecodeRun = { frames: [], error: undefined, maxBuffered: 0 };
  for (const chunk of chunks) {
    try {
      decoder.decode(chunk, (frame) => {
        assert.ok(
          frame.byteLength <= codec.maxFrameSize,
          `a frame of ${frame.byteLength} bytes passed maxFrameSize ${codec.maxFrameSize}`,
        );
        run.frames.push([...frame]);
      });
    } catch (error) {
      run.error = error;
      break;
    }
    run.maxBuffered = Math.max(run.maxBuffered, decoder.bufferedBytes);
  }
  return run;
}

/**
 * The property of a packet codec: chunked or whole, the stream gives the
 * same frames and the same outcome; only ProtocolError escapes; what the
 * decoder buffers stays within one frame and its header.
 */
function framingProperty(
  codec: PacketCodec,
  overhead: number,
): fc.IProperty<never> {
  const stream = streamOf((payloads) => encodeWith(codec, payloads));
  return fc.property(stream, cuts, (bytes, points) => {
    const chunkedRun = decodeRun(codec, chunked(bytes, points));
    const wholeRun = decodeRun(codec, [bytes.slice()]);
    for (const run of [chunkedRun, wholeRun]) {
      if (run.error !== undefined && !(run.error instanceof ProtocolError)) {
        throw new Error(`not a ProtocolError: ${run.error}`, {
          cause: run.error,
        });
      }
    }
    assert.deepEqual(chunkedRun.frames, wholeRun.frames, "same frames");
    assert.equal(
      chunkedRun.error?.constructor,
      wholeRun.error?.constructor,
      `same outcome: ${chunkedRun.error} / ${wholeRun.error}`,
    );
    assert.ok(
      chunkedRun.maxBuffered <= codec.maxFrameSize + overhead,
      `buffered ${chunkedRun.maxBuffered} > ${codec.maxFrameSize} + ${overhead}`,
    );
  }) as unknown as fc.IProperty<never>;
}

/** A few small limits, so that "too large" happens often. */
const SMALL = 200;

function framingTargets(): FuzzTarget[] {
  const targets: FuzzTarget[] = [];
  for (const headerSize of [1, 2, 4, 8] as const) {
    for (const littleEndian of [false, true]) {
      for (const includeHeader of [false, true]) {
        const codec = new LengthPrefixedCodec({
          headerSize,
          littleEndian,
          includeHeader,
          maxFrameSize: Math.min(SMALL, 2 ** (8 * headerSize) - 1 - headerSize),
        });
        targets.push({
          name: `length-prefixed/h${headerSize}${littleEndian ? "le" : "be"}${
            includeHeader ? "+header" : ""
          }`,
          property: framingProperty(codec, headerSize),
          weight: 0.25,
        });
      }
    }
  }
  targets.push({
    name: "length-prefixed/default",
    property: framingProperty(new LengthPrefixedCodec(), 4),
  });
  targets.push({
    name: "varint",
    property: framingProperty(
      new VarintPrefixedCodec({ maxFrameSize: SMALL }),
      10,
    ),
  });
  for (const delimiter of ["\n", "\r\n", "abab"]) {
    const codec = new DelimitedCodec({ delimiter, maxFrameSize: SMALL });
    targets.push({
      name: `delimited/${JSON.stringify(delimiter)}`,
      property: framingProperty(codec, delimiter.length),
      weight: 0.5,
    });
  }
  for (const frameSize of [1, 7, 64]) {
    targets.push({
      name: `fixed-size/${frameSize}`,
      property: framingProperty(new FixedSizeCodec({ frameSize }), 0),
      weight: 0.5,
    });
  }
  return targets;
}

// ---------------------------------------------------------------- envelope

const envelopes = new EnvelopeCodec();

const envelopeArbitrary: fc.Arbitrary<Envelope> = fc.record({
  kind: fc.constantFrom(
    ...Object.keys(ENVELOPE_KINDS) as (keyof typeof ENVELOPE_KINDS)[],
  ),
  id: fc.integer({ min: 0, max: 0xffff_ffff }),
  route: fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.integer({ min: 0, max: 0xffff_ffff }),
  ),
  body: fc.uint8Array({ maxLength: 40 }),
  // Metadata (flag 0x04) on about half of them, for the edits to break.
  metadata: fc.option(
    fc.array(
      fc.tuple(
        fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,8}$/),
        fc.oneof(
          fc.string({ maxLength: 12 }),
          fc.uint8Array({ maxLength: 12 }),
        ),
      ),
      { minLength: 1, maxLength: 3 },
    ).map((entries) => new Metadata(entries)),
    { nil: undefined, freq: 2 },
  ),
}).map(({ metadata, ...e }) => metadata ? { ...e, metadata } : { ...e });

const envelopeTarget: FuzzTarget = {
  name: "envelope",
  property: fc.property(
    fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.tuple(envelopeArbitrary, edits).map(([e, ed]) =>
        mutate(concat(envelopes.encode(e)), ed)
      ),
    ),
    (payload) => {
      let decoded: Envelope;
      try {
        decoded = envelopes.decode(payload);
      } catch (error) {
        if (error instanceof ProtocolError) return;
        throw new Error(`not a ProtocolError: ${error}`, { cause: error });
      }
      assert.ok(decoded.kind in ENVELOPE_KINDS);
      assert.ok(Number.isInteger(decoded.id) && decoded.id >= 0);
      assert.ok(decoded.id <= 0xffff_ffff);
      assert.equal(decoded.body.buffer, payload.buffer, "the body is a view");
      // What decodes, encodes and decodes to the same message.
      // (Metadata by its entries: an empty block encodes as none.)
      const again = envelopes.decode(concat(envelopes.encode(decoded)));
      const plain = (e: Envelope) => ({
        ...e,
        body: [...e.body],
        metadata: [...e.metadata ?? []],
      });
      assert.deepEqual(plain(again), plain(decoded));
    },
  ) as unknown as fc.IProperty<never>,
};

// ---------------------------------------------------------------- bodies

function bodyTarget(name: string, codec: BodyCodec<unknown>): FuzzTarget {
  return {
    name: `body/${name}`,
    property: fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        codec.decode(bytes);
      } catch (error) {
        if (error instanceof CodecError) return;
        throw new Error(`not a CodecError: ${error}`, { cause: error });
      }
    }) as unknown as fc.IProperty<never>,
  };
}

const bodyTargets: FuzzTarget[] = [
  bodyTarget("raw", rawBody as BodyCodec<unknown>),
  bodyTarget("text", textBody as BodyCodec<unknown>),
  bodyTarget("json", jsonBody),
  bodyTarget("msgpack", msgpackBody),
  bodyTarget("cbor", cborBody),
  bodyTarget("protobuf/Order", protobufBody(OrderSchema) as BodyCodec<unknown>),
  bodyTarget(
    "protobuf/any",
    protobufAnyBody(
      createRegistry(OrderSchema, HelloRequestSchema, HelloReplySchema),
    ) as BodyCodec<unknown>,
  ),
];

// ---------------------------------------------------------------- transport

/**
 * Random and mutated frames into a live Connection, in random chunks: the Connection
 * either stays up (and still answers a well-formed request), or closes with
 * a ConnectionClosedError whose cause is a ProtocolError. Nothing throws out
 * of it.
 */
const peerTarget: FuzzTarget = {
  name: "transport/peer",
  weight: 0.02,
  property: fc.asyncProperty(
    fc.array(
      fc.oneof(
        fc.uint8Array({ maxLength: 64 }),
        fc.tuple(envelopeArbitrary, edits).map(([e, ed]) => {
          const payload = concat(envelopes.encode(e));
          return mutate(
            concat([
              new LengthPrefixedCodec().encode([payload], payload.byteLength)[0]
                .slice(),
              payload,
            ]),
            ed,
          );
        }),
      ),
      { maxLength: 6 },
    ),
    cuts,
    async (frames, points) => {
      const [a, b] = createMemoryPipe();
      const errors: unknown[] = [];
      const router = new Router().handle("echo", (body: Uint8Array) => body);
      const peer = new Connection(a, {
        router,
        onError: (error) => errors.push(error),
        closeTimeout: 100,
      });
      const writer = b.writable.getWriter();
      const reader = b.readable.getReader();
      // Whatever the peer sends back is read and dropped.
      const draining = (async () => {
        try {
          while (!(await reader.read()).done);
        } catch { /* reset */ }
      })();
      try {
        for (const chunk of chunked(concat(frames), points)) {
          await writer.write(chunk);
        }
        await new Promise((resolve) => setTimeout(resolve, 0));
        const reason = peer.closedReason;
        if (reason !== undefined) {
          assert.ok(reason instanceof ConnectionClosedError, String(reason));
          assert.ok(
            reason.cause instanceof ProtocolError,
            `closed by ${reason.cause}`,
          );
        }
        // A protocol error, or a notification's handler failing (an unknown
        // route): errors that belong to no request.
        for (const error of errors) {
          assert.ok(
            error instanceof ProtocolError || error instanceof RemoteError,
            `onError got ${error}`,
          );
        }
      } catch (error) {
        // Writes fail once the peer closed: that is the expected outcome.
        if (!(error instanceof ConnectionClosedError)) throw error;
      } finally {
        await peer.close();
        b.close();
        await draining;
      }
    },
  ) as unknown as fc.IAsyncProperty<never>,
};

/** Every fuzz target, in a stable order. */
export const TARGETS: readonly FuzzTarget[] = [
  ...framingTargets(),
  envelopeTarget,
  ...bodyTargets,
  peerTarget,
];

/** Options of {@linkcode runTarget}. */
export interface RunOptions {
  numRuns: number;
  /** Stops early (counting as a pass) after this many ms. */
  timeLimitMs?: number;
  seed?: number;
}

/**
 * Runs one target; throws fast-check's report (with the seed and path to
 * replay) if the property fails.
 *
 * @returns The number of cases run.
 */
export async function runTarget(
  target: FuzzTarget,
  options: RunOptions,
): Promise<number> {
  const parameters: fc.Parameters<never> = {
    numRuns: options.numRuns,
    seed: options.seed,
    interruptAfterTimeLimit: options.timeLimitMs,
    markInterruptAsFailure: false,
  };
  const details = await fc.check(
    target.property as fc.IAsyncProperty<never>,
    parameters,
  );
  if (details.failed) {
    throw new Error(
      `${target.name}: ${fc.defaultReportMessage(details) ?? "failed"}\n${
        String(details.errorInstance)
      }`,
      { cause: details.errorInstance },
    );
  }
  return details.numRuns;
}
