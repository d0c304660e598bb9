import { optionalImport } from "../optional-import.js";

/** `stowage bench …` hands over to @stowage/bench (also its own `stowage-bench` bin), an optional peer of the CLI. */
export async function bench(args: string[]): Promise<number> {
  const { main } = await optionalImport<{ main(args: string[]): Promise<number> }>(
    "@stowage/bench",
    "stowage bench",
    "-D @stowage/bench",
  );
  return main(args);
}
