import { deltaChannelHistoryTests, validate } from "@langchain/langgraph-checkpoint-validation";
import { createStorage, type Storage } from "@stowage/core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { backendsUnderTest, releaseBackends } from "../../keyv/test/backends.js";
import { StowageSaver, type ValueEncoding } from "../src/index.js";

// The validation specs call Vitest's globals (describe, it, expect, …); the root config does not enable them.
Object.assign(globalThis, { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it });

const backends = await backendsUnderTest("langgraph-validation");
afterAll(releaseBackends);

let opened = 0;
const storages = new WeakMap<StowageSaver, Storage>();

/** A saver in a namespace of its own, so that every checkpointer the suite makes starts empty. */
async function openSaver(url: string, codec: "json" | "msgpack", encoding: ValueEncoding): Promise<StowageSaver> {
  const storage = await createStorage({
    namespace: `lg-${process.pid}-${++opened}`,
    cache: "memory://",
    lock: "memory://",
    checkpoint: { url, codec },
  });
  const saver = new StowageSaver(storage.checkpoint, { encoding });
  storages.set(saver, storage);
  return saver;
}

async function destroySaver(saver: StowageSaver): Promise<void> {
  const storage = storages.get(saver);
  if (!storage) return;
  const threads = new Set<string>();
  for await (const checkpoint of storage.checkpoint.list()) threads.add(checkpoint.threadId);
  for (const threadId of threads) await storage.checkpoint.deleteThread(threadId);
  await storage.close();
}

const variants: { backend: (typeof backends)[number]; codec: "json" | "msgpack"; encoding: ValueEncoding }[] = [
  ...backends.map((backend) => ({ backend, codec: "msgpack" as const, encoding: "binary" as const })),
  // The JSON codec with text-encoded serde values, once, on the reference backend.
  ...backends
    .filter((backend) => backend.name === "memory")
    .map((backend) => ({ backend, codec: "json" as const, encoding: "text" as const })),
];

for (const { backend, codec, encoding } of variants) {
  const name = `@stowage/langgraph on ${backend.name} (${codec} codec, ${encoding} values)`;
  if (backend.skip) {
    console.log(`@stowage/langgraph: checkpoint-validation skipped on ${backend.name}: ${backend.skip}`);
    describe.skip(`${name} (skipped: ${backend.skip})`, () => {});
    continue;
  }
  const initializer = {
    checkpointerName: name,
    createCheckpointer: () => openSaver(backend.url, codec, encoding),
    destroyCheckpointer: destroySaver,
  };
  validate(initializer);
  deltaChannelHistoryTests(initializer);
}
