import { ConfigError, configFromEnv } from "@stowage/core";

/** The URL a command works on: the argument, else STOWAGE_URL / the seed's variables, else the embedded default. */
export function resolveUrl(argument: string | undefined): string {
  if (argument !== undefined) {
    if (argument.trim() === "") throw new ConfigError("URL", "is empty");
    return argument;
  }
  const config = configFromEnv();
  const cache = config.cache;
  return typeof cache === "string" ? cache : (cache?.url ?? "");
}

/** The URL with credentials hidden, for printing. */
export function redact(url: string): string {
  return url.replace(
    /\/\/([^@/]*)@/,
    (_m, auth: string) => `//${auth.includes(":") ? `${auth.split(":")[0]}:***` : "***"}@`,
  );
}
