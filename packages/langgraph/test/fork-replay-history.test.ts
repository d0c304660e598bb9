import type { RunnableConfig } from "@langchain/core/runnables";
import { MemorySaver } from "@langchain/langgraph-checkpoint";
import { createStorage, type Storage } from "@stowage/core";
import fc from "fast-check";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { propertyParameters } from "../../../conformance/src/runs.js";
import { backendsUnderTest, releaseBackends } from "../../keyv/test/backends.js";
import { StowageSaver } from "../src/index.js";
import { concatGraph } from "./fixtures/old-graph.mjs";

const backends = await backendsUnderTest("langgraph-history");
afterAll(releaseBackends);

type Graph = ReturnType<typeof concatGraph>;

/** A thread's history as both savers must give it: ids replaced by positions, newest first. */
async function history(graph: Graph, threadId: string) {
  const snapshots = [];
  for await (const snapshot of graph.getStateHistory({ configurable: { thread_id: threadId } })) {
    snapshots.push(snapshot);
  }
  const ids = snapshots.map((s) => s.config.configurable?.checkpoint_id as string);
  const shape = snapshots.map((s) => ({
    values: s.values,
    next: s.next,
    source: s.metadata?.source,
    step: s.metadata?.step,
    parent: s.parentConfig ? ids.indexOf(s.parentConfig.configurable?.checkpoint_id as string) : null,
    tasks: s.tasks.map((task) => task.name),
  }));
  return { shape, configs: snapshots.map((s) => s.config) };
}

/** One graph on the saver under test and one on LangGraph's MemorySaver, driven in lockstep. */
class Pair {
  readonly ours: Graph;
  readonly reference: Graph;
  constructor(
    saver: StowageSaver,
    readonly threadId: string,
    counted: boolean,
  ) {
    this.ours = concatGraph(saver, { counted });
    this.reference = concatGraph(new MemorySaver(), { counted });
  }

  /** Runs `step` on both graphs, with the config of the checkpoint at `at` in each one's history; both must agree. */
  async both(step: (graph: Graph, config: RunnableConfig) => Promise<unknown>, at = 0): Promise<void> {
    const outcomes = [];
    for (const graph of [this.ours, this.reference]) {
      const { configs } = await history(graph, this.threadId);
      const config = configs.length > 0 ? configs[at % configs.length] : { configurable: { thread_id: this.threadId } };
      outcomes.push(
        await step(graph, config as RunnableConfig).then(
          (result) => ({ result }),
          (error: Error) => ({ error: error.name }),
        ),
      );
    }
    expect(outcomes[0]).toEqual(outcomes[1]);
    await this.agree();
  }

  /** The latest state and the whole history, checkpoint by checkpoint, read as MemorySaver reads them. */
  async agree(): Promise<void> {
    const config = { configurable: { thread_id: this.threadId } };
    const [ours, theirs] = await Promise.all([
      history(this.ours, this.threadId),
      history(this.reference, this.threadId),
    ]);
    expect(ours.shape).toEqual(theirs.shape);
    expect((await this.ours.getState(config)).values).toEqual((await this.reference.getState(config)).values);
    // Each checkpoint read on its own, as a time-travel UI would.
    for (let i = 0; i < ours.configs.length; i++) {
      const mine = await this.ours.getState(ours.configs[i] as RunnableConfig);
      const reference = await this.reference.getState(theirs.configs[i] as RunnableConfig);
      expect(mine.values).toEqual(reference.values);
    }
  }
}

/** The checkpoint right after node a ran (next = ["b"]), as a position in the history. */
async function afterA(graph: Graph, threadId: string): Promise<number> {
  const { shape } = await history(graph, threadId);
  return shape.findIndex((s) => s.next.length === 1 && s.next[0] === "b");
}

type Step =
  | { kind: "invoke"; item: string }
  | { kind: "replay"; at: number }
  | { kind: "update"; at: number; item: string; asNode: "a" | "b" | undefined }
  | { kind: "fork"; at: number; item: string };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("invoke" as const), item: fc.constantFrom("x", "y") }),
  fc.record({ kind: fc.constant("replay" as const), at: fc.nat(12) }),
  fc.record({
    kind: fc.constant("update" as const),
    at: fc.nat(12),
    item: fc.constantFrom("U", "V"),
    asNode: fc.constantFrom("a" as const, "b" as const, undefined),
  }),
  fc.record({ kind: fc.constant("fork" as const), at: fc.nat(12), item: fc.constantFrom("F", "G") }),
);

async function run(pair: Pair, step: Step): Promise<void> {
  const items = (item: string) => ({ items: [item] });
  switch (step.kind) {
    case "invoke":
      return pair.both((graph) => graph.invoke(items(step.item), { configurable: { thread_id: pair.threadId } }));
    case "replay":
      return pair.both((graph, config) => graph.invoke(null, config), step.at);
    case "update":
      return pair.both(async (graph, config) => {
        await graph.updateState(config, items(step.item), step.asNode);
      }, step.at);
    case "fork":
      return pair.both(async (graph, config) => {
        const forked = await graph.updateState(config, items(step.item));
        return graph.invoke(null, forked);
      }, step.at);
  }
}

const variants = backends.flatMap((backend) =>
  (["binary", "text"] as const).map((encoding) => ({ backend, encoding })),
);

for (const { backend, encoding } of variants) {
  const name = `fork, replay and updateState histories on ${backend.name} (${encoding} values) read as MemorySaver's`;
  if (backend.skip) {
    console.log(`@stowage/langgraph: ${name} skipped: ${backend.skip}`);
    describe.skip(`${name} (skipped: ${backend.skip})`, () => {});
    continue;
  }
  describe(name, () => {
    const opened: Storage[] = [];
    let threads = 0;
    afterEach(async () => {
      for (const storage of opened.splice(0)) await storage.close();
    });

    async function pair(counted = true): Promise<Pair> {
      const storage = await createStorage({
        namespace: `lg-history-${process.pid}-${encoding}`,
        cache: "memory://",
        lock: "memory://",
        checkpoint: { url: backend.url, codec: encoding === "binary" ? "msgpack" : "json" },
      });
      opened.push(storage);
      return new Pair(new StowageSaver(storage.checkpoint, { encoding }), `thread-${++threads}-${Date.now()}`, counted);
    }

    it('a fork after a (updateState ["FORK"], then invoke) leaves the original branch reading ["start","a","b"]', async () => {
      const p = await pair(false);
      await p.both((graph) => graph.invoke({ items: ["start"] }, { configurable: { thread_id: p.threadId } }));
      const at = await afterA(p.ours, p.threadId);
      expect(at).toBeGreaterThan(0);
      const originalFinal = (await history(p.ours, p.threadId)).configs[0] as RunnableConfig;
      await p.both(async (graph, config) => {
        const forked = await graph.updateState(config, { items: ["FORK"] });
        return graph.invoke(null, forked);
      }, at);
      expect((await p.ours.getState(originalFinal)).values).toEqual({ items: ["start", "a", "b"] });
      expect((await p.ours.getState({ configurable: { thread_id: p.threadId } })).values).toEqual({
        items: ["start", "a", "FORK", "b"],
      });
    });

    it("a replay from an older checkpoint (invoke(null, { checkpoint_id })) leaves the branch it left unchanged", async () => {
      const p = await pair();
      await p.both((graph) => graph.invoke({ items: ["start"] }, { configurable: { thread_id: p.threadId } }));
      await p.both((graph) => graph.invoke({ items: ["more"] }, { configurable: { thread_id: p.threadId } }));
      const at = await afterA(p.ours, p.threadId);
      await p.both((graph, config) => graph.invoke(null, config), at);
      await p.both((graph, config) => graph.invoke(null, config), at + 2);
    });

    it("an updateState on an older checkpoint (as a, as b) leaves every other checkpoint unchanged", async () => {
      const p = await pair();
      await p.both((graph) => graph.invoke({ items: ["start"] }, { configurable: { thread_id: p.threadId } }));
      const at = await afterA(p.ours, p.threadId);
      const update = (item: string, asNode: string) => async (graph: Graph, config: RunnableConfig) => {
        await graph.updateState(config, { items: [item] }, asNode);
      };
      await p.both(update("U", "a"), at);
      await p.both(update("V", "b"), at + 1);
      await p.both((graph, config) => graph.invoke(null, config), 0);
    });

    it("random histories of invoke, replay, updateState and fork read as MemorySaver's after every step", async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(stepArbitrary, { minLength: 1, maxLength: 6 }), async (steps) => {
          const p = await pair();
          await p.both((graph) => graph.invoke({ items: ["start"] }, { configurable: { thread_id: p.threadId } }));
          for (const step of steps) await run(p, step);
        }),
        propertyParameters(backend.name === "redis" ? 3 : 5),
      );
    });
  });
}
