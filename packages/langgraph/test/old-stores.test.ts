import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RunnableConfig } from "@langchain/core/runnables";
import type { CheckpointStore } from "@stowage/core";
import { afterAll, describe, expect, it } from "vitest";
import { createStowageSaver } from "../src/index.js";
import { loopGraph } from "./fixtures/loop-graph.mjs";
import { concatGraph } from "./fixtures/old-graph.mjs";

// Stores written by the saver at cc2f58e (integer channel versions; see fixtures/make-old-stores.mjs).
const fixtures = fileURLToPath(new URL("./fixtures/old-stores/", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "stowage-old-stores-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const stores = [
  { name: "sqlite", copy: "old.db", url: (dir: string) => `sqlite://${join(dir, "old.db")}` },
  { name: "file", copy: "old-files", url: (dir: string) => `file://${join(dir, "old-files")}` },
];

describe("stores written by the saver with integer versions", () => {
  for (const store of stores) {
    it(`${store.name}: the new saver reads the old thread, continues it, and a fork of it leaves the old branch as it was`, async () => {
      const dir = mkdtempSync(join(work, `${store.name}-`));
      // verbatimSymlinks: the file backend's index entries are symlinks whose target text is data.
      cpSync(join(fixtures, store.copy), join(dir, store.copy), { recursive: true, verbatimSymlinks: true });
      const saver = await createStowageSaver(store.url(dir), { namespace: "fixture" });
      try {
        const graph = concatGraph(saver);
        const thread = { configurable: { thread_id: "old" } };
        expect((await graph.getState(thread)).values).toEqual({ items: ["start", "a", "b"] });
        const history = [];
        for await (const snapshot of graph.getStateHistory(thread)) history.push(snapshot);
        expect(history.map((s) => s.values.items)).toEqual([["start", "a", "b"], ["start", "a"], ["start"], []]);
        const acrossThreads = [];
        for await (const tuple of saver.list({ configurable: {} })) acrossThreads.push(tuple.checkpoint.id);
        expect(acrossThreads).toEqual(history.map((s) => s.config.configurable?.checkpoint_id));
        const oldFinal = history[0]?.config as RunnableConfig;
        const afterA = history[1]?.config as RunnableConfig;
        // Continued after the upgrade: the old integer versions go on as numbers.
        expect((await graph.invoke({ items: ["more"] }, thread)).items).toEqual(["start", "a", "b", "more", "a", "b"]);
        const forked = await graph.updateState(afterA, { items: ["FORK"] });
        expect((await graph.invoke(null, forked)).items).toEqual(["start", "a", "FORK", "b"]);
        expect((await graph.getState(thread)).values.items).toEqual(["start", "a", "FORK", "b"]);
        expect((await graph.getState(oldFinal)).values.items).toEqual(["start", "a", "b"]);
        expect((await graph.getState(afterA)).values.items).toEqual(["start", "a"]);
        const versions = Object.values((await saver.getTuple(thread))?.checkpoint.channel_versions ?? {});
        expect(versions.every((version) => typeof version === "number")).toBe(true);
      } finally {
        await saver.end();
      }
    });
  }
});

// Stores written with the first delta layout (5a88ff9: links "\uFDD0<depth>\uFDD0<channel>" with the
// channel's version in every map, the root a plain blob; see fixtures/make-v1-delta-stores.mjs).
// SQLite only: the layout is core's, the same on every backend (no driver reads it), and the file
// backend's copy would be ~300 files.
const v1Stores = [
  { name: "sqlite", copy: "v1-deltas.db", url: (dir: string) => `sqlite://${join(dir, "v1-deltas.db")}` },
];

const messagesUpTo = (n: number) => Array.from({ length: n }, (_, i) => ({ role: "ai", content: `m${i + 1}` }));

describe("stores written with the first delta layout", () => {
  for (const store of v1Stores) {
    it(`${store.name}: every checkpoint reads, the thread continues and forks in the new layout, prune and delete leave what they promise`, async () => {
      const dir = mkdtempSync(join(work, `v1-${store.name}-`));
      cpSync(join(fixtures, store.copy), join(dir, store.copy), { recursive: true, verbatimSymlinks: true });
      const saver = await createStowageSaver(store.url(dir), { namespace: "fixture" });
      try {
        const graph = loopGraph(saver, 45);
        const thread = { configurable: { thread_id: "v1" } };
        const history = [];
        for await (const snapshot of graph.getStateHistory(thread)) history.push(snapshot);
        // 40 agent steps, the input checkpoint and the one before it: each reads its messages.
        expect(history).toHaveLength(42);
        expect(history.map((s) => s.values.messages?.length ?? 0)).toEqual([
          ...Array.from({ length: 41 }, (_, i) => 40 - i),
          0,
        ]);
        for (const snapshot of history.slice(0, 41)) {
          expect(snapshot.values.messages).toEqual(messagesUpTo(snapshot.values.step));
        }
        const raw = await (saver.store as CheckpointStore).driver.get("v1", "", undefined);
        expect(Object.keys(raw?.channels ?? {}).some((name) => /^\uFDD0\d+\uFDD0/.test(name))).toBe(true);
        // Continued: a new chain (records under random names) beside the old layout's links.
        const continued = await graph.invoke({ messages: [] }, thread);
        expect(continued.messages).toEqual(messagesUpTo(45));
        const newest = await (saver.store as CheckpointStore).driver.get("v1", "", undefined);
        expect(Object.keys(newest?.channels ?? {}).some((name) => name.startsWith("\uFDD0#"))).toBe(true);
        // A fork from step 20 of the old layout, continued in the new one.
        const step20 = history.find((s) => s.values.step === 20)?.config as RunnableConfig;
        const forked = await graph.updateState(step20, { messages: [{ role: "user", content: "fork" }] });
        const forkRun = await graph.invoke(null, forked);
        expect(forkRun.messages).toEqual([
          ...messagesUpTo(20),
          { role: "user", content: "fork" },
          ...messagesUpTo(45).slice(20),
        ]);

        // The old branch reads as it was.
        expect((await graph.getState(history[0]?.config as RunnableConfig)).values.messages).toEqual(messagesUpTo(40));
        // Prune to the fork's newest 3: they read; everything else of the thread went.
        await saver.store.prune("v1", { keepLast: 3 });
        const kept = [];
        for await (const tuple of saver.list(thread)) kept.push(tuple);
        expect(kept).toHaveLength(3);
        expect((await graph.getState(thread)).values.messages).toEqual(forkRun.messages);
        await saver.deleteThread("v1");
        expect(await saver.store.countThread("v1")).toBe(0);
      } finally {
        await saver.end();
      }
    });
  }
});
