import { readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

interface Workspace {
  dir: string;
  name: string;
  declared: Set<string>;
}

/** The workspaces the root package.json names (a trailing /* expands to its folders). */
function workspaces(): Workspace[] {
  const patterns = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { workspaces: string[] })
    .workspaces;
  const dirs = patterns.flatMap((pattern) =>
    pattern.endsWith("/*")
      ? readdirSync(join(ROOT, pattern.slice(0, -2)))
          .map((name) => join(pattern.slice(0, -2), name))
          .filter((dir) => statSync(join(ROOT, dir, "package.json"), { throwIfNoEntry: false }))
      : [pattern],
  );
  return dirs.map((dir) => {
    const json = JSON.parse(readFileSync(join(ROOT, dir, "package.json"), "utf8")) as Record<string, unknown>;
    const names = ["dependencies", "peerDependencies", "devDependencies"].flatMap((field) =>
      Object.keys((json[field] as Record<string, string> | undefined) ?? {}),
    );
    return { dir, name: json.name as string, declared: new Set(names) };
  });
}

/** Source files under `dir` (no node_modules, dist or fixtures of other languages). */
function sources(dir: string): string[] {
  const full = join(ROOT, dir);
  if (!statSync(full, { throwIfNoEntry: false })?.isDirectory()) return [];
  return readdirSync(full, { recursive: true, encoding: "utf8" })
    .filter((path) => /\.(ts|mts|js|mjs)$/.test(path) && !/(^|\/)(node_modules|dist)\//.test(path))
    .map((path) => join(dir, path));
}

/** The package names a file imports: static imports, re-exports, and import() of a string literal. */
function importedPackages(file: string): string[] {
  return packagesIn(readFileSync(join(ROOT, file), "utf8"));
}

function packagesIn(text: string): string[] {
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+["']([^"']+)["']/gms),
    ...text.matchAll(/^\s*import\s+["']([^"']+)["']/gm),
    ...text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
  ].map((match) => match[1] as string);
  return specifiers
    .filter((spec) => !spec.startsWith(".") && !spec.startsWith("/") && !spec.startsWith("node:"))
    .map((spec) => (spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : (spec.split("/")[0] as string)))
    .filter((name) => !builtinModules.includes(name));
}

/** Every cycle of a directed graph, each as "a → b → a". */
function cyclesOf(edges: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const cycles: string[] = [];
  const done = new Set<string>();
  const visit = (name: string, path: string[]) => {
    if (path.includes(name)) {
      cycles.push([...path.slice(path.indexOf(name)), name].join(" → "));
      return;
    }
    if (done.has(name)) return;
    for (const next of edges.get(name) ?? []) visit(next, [...path, name]);
    done.add(name);
  };
  for (const name of edges.keys()) visit(name, []);
  return cycles;
}

const ALL = workspaces();
/** The repository's own test tooling (vitest, fast-check), declared once at the root for every test file. */
const ROOT_DEV = new Set(
  Object.keys(
    (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> })
      .devDependencies,
  ),
);
const BY_NAME = new Map(ALL.map((ws) => [ws.name, ws]));

describe("the import graph of the workspaces", () => {
  it("every import in every workspace's src and test is declared in its package.json", () => {
    const undeclared: string[] = [];
    for (const ws of ALL) {
      const check = (file: string, tooling: ReadonlySet<string>) => {
        for (const name of importedPackages(file)) {
          if (name !== ws.name && !ws.declared.has(name) && !tooling.has(name)) undeclared.push(`${file}: ${name}`);
        }
      };
      for (const file of sources(join(ws.dir, "src"))) check(file, new Set());
      for (const file of sources(join(ws.dir, "test"))) check(file, ROOT_DEV);
    }
    expect([...new Set(undeclared)].sort()).toEqual([]);
  });

  it("core's src imports no adapter and not @stowage/hybrid: it loads them by the name its registry holds", () => {
    const core = BY_NAME.get("@stowage/core") as Workspace;
    const imports = sources(join(core.dir, "src")).flatMap((file) =>
      importedPackages(file)
        .filter((name) => name.startsWith("@stowage/"))
        .map((name) => `${file}: ${name}`),
    );
    expect(imports).toEqual([]);
  });

  it("no two workspaces' src import each other, directly or through others", () => {
    const edges = new Map<string, Set<string>>();
    for (const ws of ALL) {
      const targets = sources(join(ws.dir, "src")).flatMap(importedPackages);
      edges.set(ws.name, new Set(targets.filter((name) => BY_NAME.has(name) && name !== ws.name)));
    }
    expect(cyclesOf(edges)).toEqual([]);
  });

  it("the checks can fail: they see a cycle, a scoped package, a dynamic import and a multi-line import", () => {
    const edges = new Map([
      ["@x/core", new Set(["@x/hybrid"])],
      ["@x/hybrid", new Set(["@x/core"])],
    ]);
    expect(cyclesOf(edges)).toEqual(["@x/core → @x/hybrid → @x/core"]);
    const text = [
      'import {\n  a,\n  b,\n} from "@stowage/redis/testing";',
      `const m = await ${"import"}("ioredis");`, // spelled so that this file does not import it
      'import "side-effect";',
      'import { x } from "./local.js";',
      'import { y } from "node:fs";',
      'import { z } from "path";',
    ].join("\n");
    expect(packagesIn(text).sort()).toEqual(["@stowage/redis", "ioredis", "side-effect"]);
  });
});
