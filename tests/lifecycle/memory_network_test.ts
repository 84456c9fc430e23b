/**
 * The memory network: its channels against the channel conformance suite,
 * its listeners against the listener suite, and refusals.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryNetwork } from "../../src/channel/memory_network.ts";
import {
  AbortedError,
  AddressInUseError,
  ConnectError,
} from "../../src/errors.ts";
import { channelConformance } from "../_conformance/channel_suite.ts";
import { listenerConformance } from "../_conformance/listener_suite.ts";

let names = 0;

channelConformance("memory network", async () => {
  const network = new MemoryNetwork();
  const listener = await network.listen("mem://pair");
  const accepted = listener[Symbol.asyncIterator]().next();
  const client = await network.dial("mem://pair");
  const server = (await accepted).value!;
  return {
    client,
    server,
    cleanup() {
      client.close();
      server.close();
      listener.close();
      return Promise.resolve();
    },
  };
});

listenerConformance("memory network", async () => {
  const network = new MemoryNetwork();
  const name = `mem://listener-${++names}`;
  const listener = await network.listen(name);
  return { listener, dial: () => network.dial(name) };
});

describe("MemoryNetwork", () => {
  it("refuses dials to a name without a listener, and after the listener closed", async () => {
    const network = new MemoryNetwork();
    await assert.rejects(network.dial("mem://x"), ConnectError);
    const listener = await network.listen("mem://x");
    assert.deepEqual(network.names, ["x"]);
    listener.close();
    assert.deepEqual(network.names, []);
    await assert.rejects(network.dial("mem://x"), /connection refused/);
  });

  it("refuses a second listener on a name until the first closes", async () => {
    const network = new MemoryNetwork();
    const first = await network.listen("mem://x");
    await assert.rejects(network.listen("mem://x"), AddressInUseError);
    first.close();
    const second = await network.listen("mem://x");
    second.close();
  });

  it("refuses dials beyond the backlog and closes unaccepted channels on close", async () => {
    const network = new MemoryNetwork({ backlog: 2 });
    const listener = await network.listen("mem://x");
    const a = await network.dial("mem://x");
    await network.dial("mem://x");
    await assert.rejects(network.dial("mem://x"), /backlog full/);
    listener.close();
    const { done } = await a.readable.getReader().read();
    assert.equal(done, true, "the unaccepted channel was closed");
  });

  it("names both ends and checks keys and signals", async () => {
    const network = new MemoryNetwork();
    const listener = await network.listen("mem://svc");
    const accepted = listener[Symbol.asyncIterator]().next();
    const client = await network.dial("mem://svc");
    const server = (await accepted).value!;
    assert.equal(client.remoteAddr.name, "svc");
    assert.equal(server.localAddr.name, "svc");
    assert.equal(server.remoteAddr.name, client.localAddr.name);
    client.close();
    server.close();
    listener.close();
    await assert.rejects(network.dial("tcp://h:1"), TypeError);
    await assert.rejects(network.listen("unix:///x"), TypeError);
    await assert.rejects(
      network.dial("mem://svc", { signal: AbortSignal.abort() }),
      AbortedError,
    );
    assert.throws(() => new MemoryNetwork({ backlog: 0 }), RangeError);
  });
});
