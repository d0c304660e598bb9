import { resolve } from "node:path";
import { ConfigError } from "../errors.js";

/**
 * The filesystem path a local-backend URL names: `scheme:///abs/path`, `scheme:relative/path`,
 * `scheme://./relative` or `scheme://localhost/abs`. Percent-escapes are decoded; the result is absolute.
 */
export function localPathFromUrl(url: URL, field = "url"): string {
  const host = url.hostname;
  let raw: string;
  if (host === "" || host === "localhost") raw = url.pathname;
  else if (host === "." || host === "..") raw = host + url.pathname;
  else {
    throw new ConfigError(
      field,
      `${url.protocol} URLs name a local path, not a host ("${host}"); write ${url.protocol}///absolute/path or ${url.protocol}relative/path`,
    );
  }
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    throw new ConfigError(field, `the path in ${url.protocol} URL has a broken %-escape`);
  }
  if (path === "" || path === "/") throw new ConfigError(field, `${url.protocol} URL needs a path`);
  if (path.includes("\0")) throw new ConfigError(field, "the path must not contain NUL");
  return resolve(path);
}
