/** Which contract a conformance group checks, from its describe title. */
export function contractOf(group: string): "cache" | "lock" | "checkpoint" | "durability" {
  if (group.startsWith("lock")) return "lock";
  if (group.startsWith("checkpoint")) return "checkpoint";
  if (group === "crash recovery") return "durability";
  return "cache";
}
