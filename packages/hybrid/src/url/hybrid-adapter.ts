import {
  adapterFor,
  type CacheBus,
  ConfigError,
  isStowageError,
  parseBoolean,
  parseByteSize,
  parseDuration,
  type StowageAdapter,
  type StowageAdapterFamily,
} from "@stowage/core";
import { MEMORY_TIER_DEFAULTS } from "@stowage/memory";
import { HybridBackend } from "../cache/hybrid-backend.js";

/** A count given as a URL parameter or option. */
function positiveInteger(raw: string | number, field: string): number {
  const value = typeof raw === "number" ? raw : /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new ConfigError(field, `must be a positive integer, got ${raw}`);
  return value;
}

/** The URL parameters the hybrid form reads; the rest go to the L2 adapter. */
const HYBRID_PARAMS = ["l1MaxEntries", "l1MaxSize", "l1MaxTtl", "grace", "bus", "writeBehind"] as const;

/** What an error message says the hybrid form is and takes. */
const HYBRID_FORM =
  "hybrid+<L2 URL>, e.g. hybrid+redis://host:6379?grace=30000; its own parameters: " +
  "l1MaxEntries (default 10000), l1MaxSize (bytes or 512kb/64mb…, default 64 MiB), l1MaxTtl (ms), grace (ms, default 30000; 0 = never serve stale), " +
  "bus (true/false, default true), writeBehind (max queued keys)";

/** `error` as a ConfigError when it is one, judged by core's brand: an adapter may load its own copy of core. */
function configError(error: unknown): ConfigError | undefined {
  return isStowageError(error, "ERR_CONFIG") ? (error as ConfigError) : undefined;
}

/** The L2 adapter's error, with the hybrid form's own parameters added when it names an unknown one. */
function inHybridTerms(thrown: unknown, scheme: string): unknown {
  const error = configError(thrown);
  if (!error) return thrown;
  if (error.field.startsWith("url.") && /is not an option of/.test(error.message))
    return new ConfigError(
      error.field,
      `${error.message.slice(error.field.length + 2)}; ${scheme}:// URLs also take ${HYBRID_PARAMS.join(", ")}`,
      { cause: thrown },
    );
  return thrown;
}

/** grace=0 turns stale serving off; any other value is a positive number of ms. */
function parseGrace(raw: string | number, field: string): number {
  if (raw === 0 || (typeof raw === "string" && /^\s*0+\s*$/.test(raw))) return 0;
  try {
    return parseDuration(raw, field);
  } catch {
    throw new ConfigError(
      field,
      `must be a whole number of milliseconds (0 = never serve L1 while L2 or the bus is down), got ${JSON.stringify(raw)}`,
    );
  }
}

/**
 * Opens `hybrid+<scheme>://…` (e.g. `hybrid+redis://host:6379?grace=30000`): the L2 backend the
 * rest of the URL names, a bounded memory L1 per cache namespace, and the L2 package's bus
 * (so `hybrid+redis+sentinel://s1,s2/name` and `hybrid+redis+cluster://h1,h2` work too). The
 * parameters in HYBRID_PARAMS are the hybrid's; every other one goes to the L2 adapter.
 */
export async function hybridAdapter(scheme: string, field: string): Promise<StowageAdapter> {
  if (scheme.startsWith("hybrid+hybrid+")) {
    throw new ConfigError(
      field,
      `"${scheme}:" nests a hybrid in a hybrid; the L2 after hybrid+ must be a plain backend, e.g. hybrid+redis://host:6379`,
    );
  }
  const innerScheme = scheme.slice("hybrid+".length);
  let inner: StowageAdapter;
  try {
    inner = await adapterFor(innerScheme, field);
  } catch (thrown) {
    const error = configError(thrown);
    if (!error) throw thrown;
    const reason = error.message.slice(error.field.length + 2);
    throw new ConfigError(field, `${scheme}: after hybrid+ must come the L2's URL (${HYBRID_FORM}); ${reason}`, {
      cause: thrown,
    });
  }
  return {
    schemes: [scheme],
    // The L2 holds the data and takes the locks: the hybrid promises what it promises.
    capabilities: inner.capabilities,
    ...(inner.maxValueBytes !== undefined ? { maxValueBytes: inner.maxValueBytes } : {}),
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
        if (!inner.openBus)
          throw new ConfigError(
            `${field} bus`,
            `${scheme}:// needs an invalidation bus to keep the L1 of several instances in step, and ${innerScheme}: has none; ` +
              "use hybrid+redis:// (or hybrid+rediss://, hybrid+redis+cluster://, hybrid+redis+sentinel://), " +
              "or add ?bus=false when only one instance uses this cache",
          );
        bus = await inner.openBus({ url, params: new URLSearchParams(params), options: innerOptions });
      }
      try {
        // The size limit is L1's (above); an L2 without one of its own (Redis: maxmemory) is not given it.
        const { maxSizeBytes, ...rest } = options;
        const sized = inner.capabilities.sizeLimit && maxSizeBytes !== undefined ? { maxSizeBytes } : {};
        const l2 = await inner
          .open({ ...rest, ...sized, url, params, options: innerOptions })
          .catch((error: unknown) => {
            throw inHybridTerms(error, scheme);
          });
        return new HybridBackend(l2, bus, {
          l1,
          graceMs: grace !== undefined ? parseGrace(grace as string, `${field} grace`) : 30_000,
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

/** Opens every `hybrid+<L2 scheme>:` URL through core's registry. */
export const adapterFamily: StowageAdapterFamily = { prefix: "hybrid+", adapterFor: hybridAdapter };
