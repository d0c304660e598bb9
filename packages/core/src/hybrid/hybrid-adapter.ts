import { parseBoolean, parseByteSize, parseDuration } from "../config/params.js";
import { adapterFor, packageFor } from "../config/registry.js";
import type { BackendOpenOptions, StowageAdapter } from "../drivers/backend.js";
import { ConfigError } from "../errors.js";
import type { CacheBus } from "./bus.js";
import { HybridBackend } from "./hybrid-backend.js";
import { MEMORY_TIER_DEFAULTS } from "./memory-tier.js";

/** What an L2 package exports to carry invalidations (e.g. @stowage/redis's pub/sub bus). */
type BusOpener = (options: Pick<BackendOpenOptions, "url" | "params" | "options">) => Promise<CacheBus>;

/** A count given as a URL parameter or option. */
function positiveInteger(raw: string | number, field: string): number {
  const value = typeof raw === "number" ? raw : /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new ConfigError(field, `must be a positive integer, got ${raw}`);
  return value;
}

/** The URL parameters the hybrid form reads; the rest go to the L2 adapter. */
const HYBRID_PARAMS = ["l1MaxEntries", "l1MaxSize", "l1MaxTtl", "grace", "bus", "writeBehind"] as const;

/**
 * Opens `hybrid+<scheme>://…` (e.g. `hybrid+redis://host:6379?grace=30000`): the L2 backend the
 * rest of the URL names, a bounded memory L1 per cache namespace, and the L2 package's bus.
 */
export async function hybridAdapter(scheme: string, field: string): Promise<StowageAdapter> {
  const innerScheme = scheme.slice("hybrid+".length);
  const inner = await adapterFor(innerScheme, field);
  return {
    schemes: [scheme],
    async open(options) {
      const params = new URLSearchParams(options.params);
      const take = (name: (typeof HYBRID_PARAMS)[number]) => {
        const value = (options.options[name] as string | number | boolean | undefined) ?? params.get(name) ?? undefined;
        params.delete(name);
        return value;
      };
      const maxEntries = take("l1MaxEntries");
      const maxSize = take("l1MaxSize");
      const maxTtl = take("l1MaxTtl");
      const grace = take("grace");
      const busWanted = take("bus");
      const writeBehind = take("writeBehind");
      const innerOptions = Object.fromEntries(
        Object.entries(options.options).filter(([name]) => !(HYBRID_PARAMS as readonly string[]).includes(name)),
      );
      const url = new URL(options.url.href.replace(/^hybrid\+/, ""));
      const l1 = {
        maxEntries:
          maxEntries !== undefined
            ? positiveInteger(maxEntries as string, `${field} l1MaxEntries`)
            : MEMORY_TIER_DEFAULTS.maxEntries,
        maxBytes:
          maxSize !== undefined
            ? parseByteSize(maxSize as string, `${field} l1MaxSize`)
            : (options.maxSizeBytes ?? MEMORY_TIER_DEFAULTS.maxBytes),
      };
      const useBus = busWanted === undefined ? true : parseBoolean(busWanted as string, `${field} bus`);
      let bus: CacheBus | undefined;
      if (useBus) {
        const module = (await import(packageFor(innerScheme) ?? innerScheme)) as { openBus?: BusOpener };
        if (!module.openBus)
          throw new ConfigError(
            `${field} bus`,
            `${innerScheme}: has no invalidation bus; add bus=false for one instance`,
          );
        bus = await module.openBus({ url, params: new URLSearchParams(params), options: innerOptions });
      }
      try {
        const l2 = await inner.open({ ...options, url, params, options: innerOptions });
        return new HybridBackend(l2, bus, {
          l1,
          graceMs: grace !== undefined ? parseDuration(grace as string, `${field} grace`) : 30_000,
          l1MaxTtlMs: maxTtl !== undefined ? parseDuration(maxTtl as string, `${field} l1MaxTtl`) : undefined,
          writeBehind:
            writeBehind !== undefined
              ? { maxEntries: positiveInteger(writeBehind as string, `${field} writeBehind`) }
              : undefined,
        });
      } catch (error) {
        await bus?.close();
        throw error;
      }
    },
  };
}
