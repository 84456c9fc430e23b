/**
 * The WebSocket channel against the channel and transport conformance
 * suites, server and client on the runtime running the test (its adapter's
 * `listen("ws://…")` and `dial("ws://…")`).
 *
 * @module
 */

import { channelConformance } from "../_conformance/channel_suite.ts";
import { transportConformance } from "../_conformance/transport_suite.ts";
import { wsPair } from "./_ws_pair.ts";

channelConformance("websocket ws://127.0.0.1", wsPair, {
  io: true,
  mirroredAddrs: false,
});
transportConformance("websocket ws://127.0.0.1", wsPair);
