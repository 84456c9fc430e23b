/**
 * Settling (an async handler's reply, mapped once its promise settles) and
 * the executor's ENDS_LATER tasks it frees: the same outcomes as chained
 * promises, through `then` or a listener, and the slot held until the
 * listener has run.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  BoundedExecutor,
  ENDS_LATER,
  executeNow,
  taskEnded,
} from "../../src/executor/bounded_executor.ts";
import { type SettleListener, Settling } from "../../src/executor/_settling.ts";
import { deferred } from "../_helpers/pair.ts";

/** Maps a number to its text; throws for 13. */
class Text extends Settling<string> {
  protected map(value: unknown): string {
    if (value === 13) throw new RangeError("unlucky");
    return `#${value}`;
  }
}

/** Lets pending promise callbacks run. */
async function ticks(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

/** A listener that records what it was told (and may throw). */
function recorder(
  throws?: Error,
): SettleListener<string, string> & { told: string[] } {
  const told: string[] = [];
  return {
    told,
    settled(state, value) {
      told.push(`${state} settled ${value}`);
      if (throws) throw throws;
    },
    failed(state, error) {
      told.push(`${state} failed ${(error as Error).message}`);
      if (throws) throw throws;
    },
  };
}

describe("Settling", () => {
  it("Settling is a promise of the mapped value: then, catch, finally, await", async () => {
    assert.equal(await new Text(Promise.resolve(1)), "#1");
    assert.equal(
      await new Text(Promise.resolve(2)).then((v) => v + "!"),
      "#2!",
    );
    assert.equal(await new Text(Promise.resolve(3)).then(), "#3");
    assert.equal(await new Text(Promise.resolve(4)).catch(() => "no"), "#4");
    let finallyRan = false;
    assert.equal(
      await new Text(Promise.resolve(5)).finally(() =>
        void (finallyRan = true)
      ),
      "#5",
    );
    assert.equal(finallyRan, true);
    assert.equal(
      Object.prototype.toString.call(new Text(Promise.resolve(6))),
      "[object Settling]",
    );
  });

  it("Settling rejects with the source's rejection or map's throw", async () => {
    await assert.rejects(new Text(Promise.reject(new Error("gone"))), {
      message: "gone",
    });
    await assert.rejects(new Text(Promise.resolve(13)), RangeError);
    assert.equal(
      await new Text(Promise.resolve(13)).then(
        () => "fulfilled",
        (e) => `rejected ${(e as Error).message}`,
      ),
      "rejected unlucky",
    );
    assert.equal(
      await new Text(Promise.resolve(13)).catch((e) => (e as Error).name),
      "RangeError",
    );
    // A throw of the fulfilment callback rejects what then returns.
    await assert.rejects(
      new Text(Promise.resolve(1)).then(() => {
        throw new Error("callback");
      }),
      { message: "callback" },
    );
  });

  it("Settling.settleInto tells the listener the mapped value or the failure, with its state", async () => {
    const listener = recorder();
    const executor = new BoundedExecutor({ concurrency: 3 });
    const sources: Array<[Promise<number>, string]> = [
      [Promise.resolve(1), "a"],
      [Promise.reject(new Error("gone")), "b"],
      [Promise.resolve(13), "c"],
    ];
    for (const [source, state] of sources) {
      executeNow(
        executor,
        (settling: Text, state: string) => {
          settling.settleInto(listener, state, executor);
          return ENDS_LATER;
        },
        new Text(source),
        state,
      );
    }
    assert.deepEqual(listener.told, [], "never synchronously");
    assert.equal(executor.active, 3);
    await ticks();
    assert.equal(executor.active, 0, "every slot freed");
    assert.deepEqual(listener.told, [
      "a settled #1",
      "b failed gone",
      "c failed unlucky",
    ]);
  });

  it("Settling.settleInto with an owner holds its task's slot until the listener ran, then starts the next task", async () => {
    const executor = new BoundedExecutor({ concurrency: 1 });
    const source = deferred<number>();
    const order: string[] = [];
    const listener: SettleListener<string, string> = {
      settled(state, value) {
        // The slot is still held while the listener runs.
        order.push(`${state} ${value} active=${executor.active}`);
      },
      failed() {
        assert.fail("no failure");
      },
    };
    const started = executeNow(
      executor,
      (settling: Text, state: string) => {
        settling.settleInto(listener, state, executor);
        return ENDS_LATER;
      },
      new Text(source.promise),
      "first",
    );
    assert.equal(started, true);
    assert.equal(executor.active, 1);
    assert.equal(executor.execute(() => void order.push("queued ran")), true);
    assert.equal(executor.queued, 1);
    await ticks();
    assert.deepEqual(order, [], "the slot is held while the source waits");
    source.resolve(7);
    await ticks();
    assert.deepEqual(order, ["first #7 active=1", "queued ran"]);
    assert.equal(executor.active, 0);
    assert.equal(executor.queued, 0);
    await executor.drain();
  });

  it("Settling.settleInto gives a listener's throw to the owner's onError, and frees the slot", async () => {
    const errors: unknown[] = [];
    const executor = new BoundedExecutor({
      concurrency: 1,
      onError: (error) => errors.push(error),
    });
    const boom = new Error("listener threw");
    for (const source of [Promise.resolve(1), Promise.reject(new Error("x"))]) {
      executeNow(
        executor,
        (settling: Text, state: string) => {
          settling.settleInto(recorder(boom), state, executor);
          return ENDS_LATER;
        },
        new Text(source),
        "s",
      );
      assert.equal(executor.active, 1);
      await ticks();
      assert.equal(executor.active, 0);
    }
    assert.deepEqual(errors, [boom, boom]);
  });
});

describe("BoundedExecutor ENDS_LATER", () => {
  it("a task that returns ENDS_LATER keeps its slot until taskEnded; a failed end goes to onError", async () => {
    const errors: unknown[] = [];
    const executor = new BoundedExecutor({
      concurrency: 1,
      onError: (error) => errors.push(error),
    });
    executeNow(executor, () => ENDS_LATER, undefined, undefined);
    assert.equal(executor.active, 1);
    let ran = 0;
    executor.execute(() => void ran++);
    const drained = executor.drain();
    await ticks();
    assert.equal(ran, 0);
    assert.equal(executor.active, 1);
    taskEnded(executor, false, undefined);
    assert.equal(ran, 1, "the queued task started at once");
    await drained;
    executeNow(executor, () => ENDS_LATER, undefined, undefined);
    const failure = new Error("failed");
    taskEnded(executor, true, failure);
    assert.equal(executor.active, 0);
    assert.deepEqual(errors, [failure]);
  });
});
