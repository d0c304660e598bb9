import { ConfigError } from "@stowage/core";

/** What `npm run bench -- --probe <name> …` hands a probe. */
export interface ProbeSettings {
  /** Operations per round. */
  n: number;
  /** Measured rounds; subjects interleave round by round so they share the machine's load. */
  rounds: number;
  /** Concurrent loops, for probes that take one. */
  concurrency: number;
  /** Value size in bytes, for probes that take one. */
  size: number;
  /** Subjects to run (empty: the probe's default set). */
  only: readonly string[];
  /** The Redis server Redis probes use (REDIS_URL, else 127.0.0.1:6379, or --url). */
  redisUrl: string;
  /** Probe-specific switches: --alternate, --mark, --trace <file>, --dir <dir>, --ops <list>. */
  flags: { alternate: boolean; mark: boolean; trace?: string; dir?: string; ops?: readonly string[] };
}

/**
 * A probe answers one question about one backend's cost (a floor, a paired ratio, syscalls per
 * operation) that the scenarios' rows do not; it prints lines instead of writing a report.
 */
export interface Probe {
  name: string;
  /** One line: what it measures, against what. */
  summary: string;
  /** --n and --rounds when not given. */
  defaults: { n: number; rounds: number };
  run(settings: ProbeSettings, print: (line: string) => void): Promise<void>;
}

/** The subjects --only names (else `defaults`), each checked against `known`; a ConfigError names the allowed ones. */
export function chosenSubjects(
  only: readonly string[],
  defaults: readonly string[],
  known: readonly string[],
): string[] {
  const names = only.length > 0 ? [...only] : [...defaults];
  for (const name of names) {
    if (!known.includes(name))
      throw new ConfigError("--only", `unknown subject "${name}"; allowed: ${known.join(", ")}`);
  }
  return names;
}
