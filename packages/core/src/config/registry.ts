import type { StowageAdapter, StowageAdapterFamily } from "../drivers/adapter.js";
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

/** Which package opens every scheme that starts with a prefix (it exports `adapterFamily`). */
const BUILTIN_FAMILIES: Record<string, string> = {
  "hybrid+": "@stowage/hybrid",
};

const registered = new Map<string, StowageAdapter>();
const families = new Map<string, StowageAdapterFamily>();

/** Makes an adapter open its schemes (a third-party backend, or a built-in one loaded eagerly). */
export function registerAdapter(adapter: StowageAdapter | StowageAdapterFamily): void {
  if ("prefix" in adapter) families.set(adapter.prefix, adapter);
  else for (const scheme of adapter.schemes) registered.set(scheme, adapter);
}

/** The package that opens a built-in scheme, or undefined. */
export function packageFor(scheme: string): string | undefined {
  return BUILTIN[scheme] ?? Object.entries(BUILTIN_FAMILIES).find(([prefix]) => scheme.startsWith(prefix))?.[1];
}

/** The schemes createStorage understands (a family as its prefix followed by `*`). */
export function knownSchemes(): string[] {
  const prefixes = [...Object.keys(BUILTIN_FAMILIES), ...families.keys()].map((prefix) => `${prefix}*`);
  return [...new Set([...Object.keys(BUILTIN), ...registered.keys(), ...prefixes])].sort();
}

/** The ConfigError of a scheme no adapter opens. */
function unknownScheme(scheme: string, field: string): ConfigError {
  return new ConfigError(
    field,
    `unknown URL scheme "${scheme}:"; allowed: ${knownSchemes()
      .map((s) => `${s}:`)
      .join(" ")} (a third-party backend: registerAdapter(adapter) from @stowage/core)`,
  );
}

/**
 * Imports an adapter package; a missing package says how to install it, and a package that is
 * installed but fails to load (a missing native module, a syntax error) shows that error instead.
 */
async function load(specifier: string, scheme: string, field: string): Promise<Record<string, unknown>> {
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch (error) {
    const message = String((error as Error)?.message);
    const code = (error as NodeJS.ErrnoException)?.code;
    // Node names the package it looked for first: "Cannot find package '<name>' imported from …".
    if (code === "ERR_MODULE_NOT_FOUND" && message.includes(`'${specifier}'`) && !message.includes(`'${specifier}/`)) {
      throw new ConfigError(
        field,
        `${scheme}: URLs need the ${specifier} package, which is not installed: npm install ${specifier} ` +
          "(or open the scheme with your own adapter: registerAdapter(adapter) from @stowage/core)",
        { cause: error },
      );
    }
    throw new ConfigError(field, `${specifier} (for ${scheme}: URLs) is installed but failed to load: ${message}`, {
      cause: error,
    });
  }
}

/** The adapter for a URL scheme, importing its package when needed. */
export async function adapterFor(scheme: string, field: string): Promise<StowageAdapter> {
  const ready = registered.get(scheme);
  if (ready) return ready;
  const prefix = [...new Set([...families.keys(), ...Object.keys(BUILTIN_FAMILIES)])].find((p) => scheme.startsWith(p));
  if (prefix !== undefined) return (await familyFor(prefix, scheme, field)).adapterFor(scheme, field);
  const specifier = BUILTIN[scheme];
  if (!specifier) throw unknownScheme(scheme, field);
  const module = await load(specifier, scheme, field);
  const adapter = module.adapter as StowageAdapter | undefined;
  if (!adapter?.schemes?.includes(scheme))
    throw new ConfigError(field, `${specifier} does not export an adapter that opens ${scheme}: URLs`);
  registerAdapter(adapter);
  return adapter;
}

async function familyFor(prefix: string, scheme: string, field: string): Promise<StowageAdapterFamily> {
  const ready = families.get(prefix);
  if (ready) return ready;
  const specifier = BUILTIN_FAMILIES[prefix] as string;
  const family = (await load(specifier, scheme, field)).adapterFamily as StowageAdapterFamily | undefined;
  if (family?.prefix !== prefix)
    throw new ConfigError(field, `${specifier} does not export an adapterFamily that opens ${prefix} URLs`);
  registerAdapter(family);
  return family;
}

/** What the adapter of a URL says about itself: its package, schemes, capabilities, value bound and whether it has a bus. */
export interface BackendDescription {
  scheme: string;
  /** The built-in package that opens it, or undefined for a scheme only registerAdapter made known. */
  package: string | undefined;
  adapter: StowageAdapter;
}

/** The description of the backend a URL names, importing its adapter package when needed (`stowage check`, the bench). */
export async function describeBackend(url: string, field = "url"): Promise<BackendDescription> {
  const colon = url.indexOf(":");
  if (colon <= 0)
    throw new ConfigError(field, `must be a URL such as sqlite:///path/to.db, got ${JSON.stringify(url)}`);
  const scheme = url.slice(0, colon).toLowerCase();
  const adapter = await adapterFor(scheme, field);
  return { scheme, package: packageFor(scheme), adapter };
}
