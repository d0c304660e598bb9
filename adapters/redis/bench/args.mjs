// The command line both interleaved bench scripts take: a redis:// URL and `--name value` options.

const args = process.argv.slice(2);

export const url = args.find((a) => a.startsWith("redis://"));
if (!url) throw new Error("give a redis:// URL");

/** The value after `--name`, or `fallback`. */
export function option(name, fallback) {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
}
