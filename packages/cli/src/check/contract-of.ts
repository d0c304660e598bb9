type Contract = "cache" | "lock" | "checkpoint" | "durability";

/**
 * Which contract a conformance test checks, from the titles of the groups around it (innermost
 * first, the suite's own "conformance: …" left out): a group named for the lock or checkpoint
 * contract wins, also when it sits inside a group of another concern (model-based histories,
 * identifier fuzz, …); everything else is the cache's.
 */
export function contractOf(groups: readonly string[] | string): Contract {
  const titles = typeof groups === "string" ? [groups] : groups;
  for (const title of titles) {
    if (title === "crash recovery") return "durability";
    if (/^lock|\block(s)?\b/i.test(title)) return "lock";
    if (/^checkpoint|\bcheckpoints?\b/i.test(title)) return "checkpoint";
  }
  return "cache";
}
