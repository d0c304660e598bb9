import { ConfigError } from "@stowage/core";

/**
 * Imports a package the CLI does not depend on (conformance, vitest, bench), so `npm install @stowage/cli`
 * stays small; when it is missing, the error names the command that needs it and what to install.
 */
export async function optionalImport<T>(specifier: string, command: string, install: string): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (error) {
    const code = (error as { code?: string }).code;
    const missing = code === "ERR_MODULE_NOT_FOUND" && String((error as Error).message).includes(packageOf(specifier));
    if (!missing) throw error;
    throw new ConfigError(command, `needs ${packageOf(specifier)}, which is not installed: npm install ${install}`, {
      cause: error,
    });
  }
}

/** "@scope/name/sub" → "@scope/name"; "name/sub" → "name". */
function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] as string);
}
