import type { SerializerProtocol } from "@langchain/langgraph-checkpoint";
import { createStorage } from "@stowage/core";
import { StowageSaver, type StowageSaverOptions } from "./stowage-saver.js";

export { StowageSaver, type StowageSaverOptions } from "./stowage-saver.js";
export type { ValueEncoding } from "./typed-values.js";

/**
 * A LangGraph checkpoint saver on a stowage URL (`sqlite:///var/lib/app/stowage.db`,
 * `redis://host:6379`, …). The checkpoint store is opened with the msgpack codec so serde bytes
 * are kept as bytes; `saver.end()` closes it.
 */
export async function createStowageSaver(
  url: string,
  options: Omit<StowageSaverOptions, "onEnd" | "encoding"> & { namespace?: string } = {},
  serde?: SerializerProtocol,
): Promise<StowageSaver> {
  const { namespace, ...saverOptions } = options;
  const storage = await createStorage({
    ...(namespace !== undefined ? { namespace } : {}),
    cache: "memory://",
    lock: "memory://",
    checkpoint: { url, codec: "msgpack" },
  });
  return new StowageSaver(
    storage.checkpoint,
    { ...saverOptions, encoding: "binary", onEnd: () => storage.close() },
    serde,
  );
}
