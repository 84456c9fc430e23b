/**
 * The listener defaults: the TLS handshake timeout, and the connection limit
 * derived from the process's soft descriptor limit.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_HANDSHAKE_TIMEOUT,
  defaultMaxConnections,
  FALLBACK_MAX_CONNECTIONS,
  listenLimits,
  softFileLimit,
} from "../../adapters/_listen_limits.ts";

const limitsText = (soft: string) =>
  `Limit                     Soft Limit           Hard Limit           Units\n` +
  `Max open files            ${soft}                 524288               files\n`;

describe("listen limits", () => {
  it("default to a 10 s handshake timeout and a connection limit below the soft descriptor limit", () => {
    assert.equal(DEFAULT_HANDSHAKE_TIMEOUT, 10_000);
    assert.deepEqual(listenLimits({}, () => limitsText("256")), {
      maxConnections: 192,
      handshakeTimeout: 10_000,
    });
    assert.equal(defaultMaxConnections(1024), 896);
    assert.equal(defaultMaxConnections(20_000), 18_976);
    assert.equal(defaultMaxConnections(1_048_576), 1_047_552);
    assert.equal(defaultMaxConnections(Infinity), Infinity);
  });

  it("fall back to 4,096 connections where the descriptor limit cannot be read", () => {
    assert.equal(FALLBACK_MAX_CONNECTIONS, 4_096);
    const unreadable = () => {
      throw new Error("no /proc here");
    };
    assert.equal(listenLimits({}, unreadable).maxConnections, 4_096);
    assert.equal(softFileLimit("nothing useful"), undefined);
    assert.equal(softFileLimit(limitsText("unlimited")), Infinity);
  });

  it("take the options, and refuse values out of range", () => {
    assert.deepEqual(
      listenLimits({ maxConnections: 5, handshakeTimeout: 0 }, () => ""),
      { maxConnections: 5, handshakeTimeout: Infinity },
    );
    for (const maxConnections of [0, -1, 1.5, NaN]) {
      assert.throws(
        () => listenLimits({ maxConnections }, () => ""),
        RangeError,
      );
    }
    for (const handshakeTimeout of [-1, Infinity, NaN]) {
      assert.throws(
        () => listenLimits({ handshakeTimeout }, () => ""),
        RangeError,
      );
    }
  });
});
