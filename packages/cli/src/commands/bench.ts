/** `stowage bench …` is the benchmark harness of @stowage/bench, with the same arguments. */
export async function bench(args: string[]): Promise<number> {
  const { main } = await import("@stowage/bench");
  return main(args);
}
