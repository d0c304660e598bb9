import { createStorage } from "@stowage/core";

const s = await createStorage({ url: "memory://x", namespace: "n" });
const c = s.cache;
const set = c.json.set;
c.json.set = async (key, path, value, options) => {
  console.log("wrapped");
  await set(key, path, value, options);
  if (options?.ttl !== undefined) await c.set(key, await c.get(key), { ttl: options.ttl });
};
await c.set("k", { a: 1 });
await c.json.set("k", "$.b", 2, { ttl: 5000 });
console.log(await c.ttl("k"), c.json === s.cache.json);
