import type { StowageAdapter } from "../drivers/backend.js";
import { ConfigError } from "../errors.js";

/** Which package opens each URL scheme; loaded on first use, so a user installs only what they use. */
const BUILTIN: Record<string, string> = {
  memory: "@stowage/memory",
  sqlite: "@stowage/sqlite",
  lmdb: "@stowage/lmdb",
  file: "@stowage/fs",
  redis: "@stowage/redis",
  rediss: "@stowage/redis",
  "redis+cluster": "@stowage/redis",
  "rediss+cluster": "@stowage/redis",
  "redis+sentinel": "@stowage/redis",
  "rediss+sentinel": "@stowage/redis",
  redlock: "@stowage/redis",
};

const registered = new Map<string, StowageAdapter>();

/** Makes an adapter open its schemes (a third-party backend, or a built-in one loaded eagerly). */
export function registerAdapter(adapter: StowageAdapter): void {
  for (const scheme of adapter.schemes) registered.set(scheme, adapter);
}

/** The package that opens a built-in scheme, or undefined. */
export function packageFor(scheme: string): string | undefined {
  return BUILTIN[scheme];
}

/** The schemes createStorage understands. */
export function knownSchemes(): string[] {
  return [...new Set([...Object.keys(BUILTIN), ...registered.keys()])].sort();
}

/** The adapter for a URL scheme, importing its package when needed. */
export async function adapterFor(scheme: string, field: string): Promise<StowageAdapter> {
  const ready = registered.get(scheme);
  if (ready) return ready;
  if (scheme.startsWith("hybrid+hybrid+")) {
    throw new ConfigError(
      field,
      `"${scheme}:" nests a hybrid in a hybrid; the L2 after hybrid+ must be a plain backend, e.g. hybrid+redis://host:6379`,
    );
  }
  if (scheme.startsWith("hybrid+")) return (await import("../hybrid/hybrid-adapter.js")).hybridAdapter(scheme, field);
  const specifier = BUILTIN[scheme];
  if (!specifier) {
    throw new ConfigError(
      field,
      `unknown URL scheme "${scheme}:"; allowed: ${knownSchemes()
        .map((s) => `${s}:`)
        .join(" ")}`,
    );
  }
  let module: { adapter?: StowageAdapter };
  try {
    module = (await import(specifier)) as { adapter?: StowageAdapter };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ERR_MODULE_NOT_FOUND" && String((error as Error).message).includes(specifier)) {
      throw new ConfigError(field, `${scheme}: URLs need the ${specifier} package: npm install ${specifier}`, {
        cause: error,
      });
    }
    throw error;
  }
  if (!module.adapter) throw new ConfigError(field, `${specifier} does not export an adapter`);
  registerAdapter(module.adapter);
  return module.adapter;
}
