import {
  type Cache,
  createStorage,
  registerAdapter,
  type Storage,
  type StowageAdapter,
  storageFromBackend,
} from "@stowage/core";
import { KeyvBackend, type KeyvStoreLike, openKeyvBackend, registerKeyvStore } from "./keyv-backend.js";
import { StowageKeyvStore } from "./keyv-store.js";

export { KeyvBackend, type KeyvStoreLike, registerKeyvStore, unregisterKeyvStore } from "./keyv-backend.js";
export { KeyvCacheDriver } from "./keyv-cache-driver.js";
export { StowageKeyvStore, type StowageKeyvStoreOptions } from "./keyv-store.js";

/** Opens `keyv://name` URLs (stores named with registerKeyvStore) for createStorage. */
export const adapter: StowageAdapter = {
  schemes: ["keyv"],
  capabilities: { multiProcess: false, survivesCrash: false, sizeLimit: false },
  open: async (options) => openKeyvBackend(options),
};

/**
 * A Keyv store over a stowage cache: `new Keyv({ store: await createKeyvStore("sqlite:///…") })`.
 * Given a URL it opens the storage and closes it when Keyv disconnects; given a cache it leaves
 * closing to you.
 */
export async function createKeyvStore(target: string | Cache): Promise<StowageKeyvStore> {
  if (typeof target !== "string") return new StowageKeyvStore(target);
  const storage = await createStorage({ cache: target, lock: "memory://", checkpoint: "memory://" });
  return new StowageKeyvStore(storage.cache, { url: target, onDisconnect: () => storage.close() });
}

/**
 * A stowage storage whose cache lives in a Keyv store (e.g. @keyv/sqlite, @keyv/postgres). Its
 * lock and checkpoint stores refuse every call: open those on another URL with createStorage
 * and `cache: "keyv://name"` after registerKeyvStore(name, store).
 */
export function createKeyvStorage(
  store: KeyvStoreLike,
  options: { namespace?: string; codec?: "json" | "msgpack"; cacheTtl?: number; closeStore?: boolean } = {},
): Storage {
  const { closeStore, ...rest } = options;
  return storageFromBackend(new KeyvBackend(store, closeStore !== undefined ? { closeStore } : {}), rest);
}

/** Registers the store as `keyv://name` and makes createStorage understand `keyv:` URLs. */
export function useKeyvStore(name: string, store: KeyvStoreLike): string {
  registerKeyvStore(name, store);
  registerAdapter(adapter);
  return `keyv://${name}`;
}
