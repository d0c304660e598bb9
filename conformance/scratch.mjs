import { createStorage } from "@stowage/core";
import fc from "fast-check";
import { cacheCommands, finalChecks } from "./dist/model/cache-commands.js";
import { CacheModel } from "./dist/model/cache-model.js";
import { History } from "./dist/model/history.js";

const [cmds] = fc.sample(fc.commands([cacheCommands(3)], { maxCommands: 40, size: "max" }), {
  numRuns: 1,
  seed: Number(process.argv[2] ?? 1),
});
const storages = [];
for (const ns of ["s1", "s1.c", "s1-c"]) storages.push(await createStorage({ url: "memory://scratch", namespace: ns }));
const history = new History();
const model = new CacheModel(3, history);
try {
  await fc.asyncModelRun(
    () => ({ model, real: { caches: storages.map((s) => s.cache) } }),
    [...cmds, ...finalChecks(3)],
  );
  throw history.mismatch("(end)", { value: 0 }, []);
} catch (e) {
  console.log(e.message);
}
