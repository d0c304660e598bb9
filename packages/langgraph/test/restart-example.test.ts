import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { backendsUnderTest, releaseBackends } from "../../keyv/test/backends.js";

const run = promisify(execFile);
const example = fileURLToPath(new URL("../../../examples/langgraph-restart/graph.mjs", import.meta.url));

const backends = (await backendsUnderTest("langgraph-restart")).filter((b) => ["sqlite", "redis"].includes(b.name));
afterAll(releaseBackends);

async function phase(name: string, url: string, threadId: string) {
  const { stdout } = await run(process.execPath, [example, name, url, threadId], { timeout: 30_000 });
  return JSON.parse(stdout.trim().split("\n").at(-1) as string) as {
    next: string[];
    values: { log: string[]; draft?: string };
  };
}

for (const backend of backends) {
  const test = backend.skip ? it.skip : it;
  if (backend.skip) console.log(`@stowage/langgraph: restart example skipped on ${backend.name}: ${backend.skip}`);
  describe(`the restart example on ${backend.name}`, () => {
    test("a graph interrupted in one process is finished by another from the stored checkpoint", async () => {
      const threadId = `restart-${process.pid}`;
      const started = await phase("start", backend.url, threadId);
      expect(started.next).toEqual(["publish"]);
      expect(started.values.log).toHaveLength(2);
      const resumed = await phase("resume", backend.url, threadId);
      expect(resumed.next).toEqual([]);
      expect(resumed.values.log).toHaveLength(3);
      const pids = resumed.values.log.map((line) => /pid (\d+)/.exec(line)?.[1]);
      expect(pids[2]).not.toBe(pids[0]);
      expect(resumed.values.log[2]).toContain("A note on durable agents");
    });
  });
}
