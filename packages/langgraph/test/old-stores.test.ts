import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RunnableConfig } from "@langchain/core/runnables";
import { afterAll, describe, expect, it } from "vitest";
import { createStowageSaver } from "../src/index.js";
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
