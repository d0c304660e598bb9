import fc from "fast-check";
import {
  clearCommand,
  deleteManyCommand,
  getManyCommand,
  keysCommand,
  setManyCommand,
} from "./cache-batch-commands.js";
import {
  addCommand,
  type CacheCommand,
  deleteCommand,
  getCommand,
  getOrSetCommand,
  hasCommand,
  incrCommand,
  jsonDelCommand,
  jsonGetCommand,
  jsonSetCommand,
  setCommand,
  ttlCommand,
} from "./cache-key-commands.js";
import * as gen from "./cache-values.js";
import { pathText } from "./json-doc.js";
import { pauseCommand } from "./step-command.js";

export { finalChecks } from "./cache-batch-commands.js";
export type { CacheWorld } from "./cache-key-commands.js";

type Command = CacheCommand;

/** Every call of the cache contract, with arguments drawn so that keys, namespaces and paths collide. */
export function cacheCommands(namespaces: number): fc.Arbitrary<Command> {
  // The first namespace takes half the steps: the others are there to be disturbed.
  const ns = fc.oneof(fc.constant(0), fc.nat(namespaces - 1));
  const keys = fc.array(gen.key, { minLength: 1, maxLength: 4 });
  const json = fc.tuple(ns, gen.key, gen.path);
  const often = (arbitrary: fc.Arbitrary<Command>) => ({ arbitrary, weight: 4 });
  const sometimes = (arbitrary: fc.Arbitrary<Command>) => ({ arbitrary, weight: 2 });
  const rarely = (arbitrary: fc.Arbitrary<Command>) => ({ arbitrary, weight: 1 });
  return fc.oneof(
    often(fc.tuple(ns, gen.key, gen.value, gen.ttl).map(([n, key, v, t]) => setCommand(n, key, v, t))),
    often(fc.tuple(ns, gen.key).map(([n, key]) => getCommand(n, key))),
    sometimes(fc.tuple(ns, keys).map(([n, list]) => getManyCommand(n, list))),
    sometimes(
      fc
        .tuple(ns, fc.array(fc.record({ key: gen.key, value: gen.value, ttl: gen.ttl }), { maxLength: 3 }))
        .map(([n, entries]) =>
          setManyCommand(
            n,
            entries.map(({ key, value, ttl }) => (ttl === undefined ? { key, value } : { key, value, ttl })),
          ),
        ),
    ),
    sometimes(fc.tuple(ns, gen.key).map(([n, key]) => deleteCommand(n, key))),
    rarely(fc.tuple(ns, fc.array(gen.key, { maxLength: 4 })).map(([n, list]) => deleteManyCommand(n, list))),
    sometimes(fc.tuple(ns, gen.key).map(([n, key]) => hasCommand(n, key))),
    sometimes(fc.tuple(ns, gen.key).map(([n, key]) => ttlCommand(n, key))),
    sometimes(
      fc
        .tuple(ns, gen.key, fc.integer({ min: -2, max: 3 }), gen.ttl)
        .map(([n, key, by, t]) => incrCommand(n, key, by, t)),
    ),
    sometimes(fc.tuple(ns, gen.key, gen.value, gen.ttl).map(([n, key, v, t]) => addCommand(n, key, v, t))),
    rarely(fc.tuple(ns, gen.key, gen.value, gen.ttl).map(([n, key, v, t]) => getOrSetCommand(n, key, v, t))),
    often(
      fc
        .tuple(json, gen.value, gen.ttl)
        .map(([[n, key, p], v, t]) => jsonSetCommand(n, key, p.segments, pathText(p.segments, p.quoting), v, t)),
    ),
    sometimes(json.map(([n, key, p]) => jsonGetCommand(n, key, p.segments, pathText(p.segments, p.quoting)))),
    sometimes(json.map(([n, key, p]) => jsonDelCommand(n, key, p.segments, pathText(p.segments, p.quoting)))),
    sometimes(fc.tuple(ns, gen.prefix).map(([n, p]) => keysCommand(n, p))),
    rarely(ns.map((n) => clearCommand(n))),
    rarely(fc.constantFrom(5, 20, 50).map((ms) => pauseCommand(ms))),
  );
}
