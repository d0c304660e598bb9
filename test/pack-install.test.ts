// A new user's install, from the tarballs npm pack makes: a fresh strict TypeScript project, offline
// (the tarballs plus npm's cache), the README's first example, require(esm), and the CLI's footprint.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./published-packages.js";

const PACKED = ["packages/core", "adapters/sqlite", "adapters/memory", "packages/cli"];
/** What installing @stowage/cli must never pull in: the bench, the suite, test runners, peer libraries. */
const FORBIDDEN = [
  "@stowage/bench",
  "@stowage/conformance",
  "vitest",
  "bentocache",
  "redlock",
  "cacheable",
  "sqlite3",
  "@keyv/sqlite",
  "@keyv/redis",
  "lmdb",
  "ioredis",
];
/**
 * Native packages allowed: better-sqlite3 (the user installed @stowage/sqlite) and msgpackr-extract,
 * msgpackr's optional accelerator, which ships prebuilt binaries and is skipped by --omit=optional.
 */
const NATIVE_ALLOWED = ["better-sqlite3", "msgpackr-extract"];

let work = "";
let project = "";

const npm = (args: string[], cwd: string) =>
  execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 300_000 });
const repoVersion = (name: string) =>
  (JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;

/** Every package under node_modules (scoped ones included), with its folder. */
function installed(modules: string): { name: string; dir: string }[] {
  const found: { name: string; dir: string }[] = [];
  const visit = (folder: string) => {
    if (!existsSync(folder)) return;
    for (const entry of readdirSync(folder)) {
      if (entry.startsWith(".")) continue;
      if (entry.startsWith("@")) {
        for (const scoped of readdirSync(join(folder, entry))) {
          found.push({ name: `${entry}/${scoped}`, dir: join(folder, entry, scoped) });
          visit(join(folder, entry, scoped, "node_modules"));
        }
      } else {
        found.push({ name: entry, dir: join(folder, entry) });
        visit(join(folder, entry, "node_modules"));
      }
    }
  };
  visit(modules);
  return found;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "stowage-pack-"));
  const tarballs = JSON.parse(
    npm(["pack", "--json", "--ignore-scripts", "--pack-destination", work, ...PACKED.map((d) => join(ROOT, d))], ROOT),
  ) as { filename: string }[];
  project = join(work, "app");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  // --ignore-scripts: no native build here (there is no network for prebuilt binaries); the repo's
  // better-sqlite3 build is copied in below, for the same Node.
  npm(
    [
      "install",
      "--prefer-offline",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      ...tarballs.map((t) => join(work, t.filename.replace(/^.*\//, ""))),
      `typescript@${repoVersion("typescript")}`,
      `@types/node@${repoVersion("@types/node")}`,
    ],
    project,
  );
  cpSync(join(ROOT, "node_modules/better-sqlite3/build"), join(project, "node_modules/better-sqlite3/build"), {
    recursive: true,
  });
}, 600_000);
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("installed from the packed tarballs", () => {
  it("a strict TypeScript project compiles and runs the README's first example", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const example = /## A first example\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example, "README has a first example").toBeDefined();
    const db = join(work, "data", "stowage.db");
    mkdirSync(join(work, "data"));
    const source = (example as string).replace("/var/lib/app/stowage.db", db);
    expect(source).toContain(db);
    writeFileSync(join(project, "index.ts"), `${source}\nconsole.log(JSON.stringify(latest?.payload));\n`);
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          lib: ["ES2023", "ESNext.Disposable"],
          strict: true,
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
          skipLibCheck: false,
          types: ["node"],
        },
        files: ["index.ts"],
      }),
    );
    const tsc = spawnSync(process.execPath, [join(project, "node_modules/typescript/bin/tsc"), "-p", project], {
      encoding: "utf8",
    });
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
    const run = spawnSync(process.execPath, [join(project, "index.js")], { cwd: project, encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe(JSON.stringify({ step: 1 }));
  });

  it("CommonJS code can require() the packages (require(esm), Node >= 20.19 / 22.12)", () => {
    writeFileSync(
      join(project, "use.cjs"),
      [
        'const { createStorage } = require("@stowage/core");',
        "(async () => {",
        '  const storage = await createStorage("memory://");',
        '  await storage.cache.set("k", "v");',
        '  console.log(await storage.cache.get("k"));',
        "  await storage.close();",
        "})();",
      ].join("\n"),
    );
    const run = spawnSync(process.execPath, [join(project, "use.cjs")], { cwd: project, encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe("v");
  });

  it("npx stowage --help works, and bench and check name what to install", () => {
    const help = spawnSync("npx", ["--no-install", "stowage", "--help"], { cwd: project, encoding: "utf8" });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/Usage: stowage/);
    const bench = spawnSync("npx", ["--no-install", "stowage", "bench"], { cwd: project, encoding: "utf8" });
    expect(bench.status).toBe(2);
    expect(bench.stderr).toMatch(/npm install -D @stowage\/bench/);
    const check = spawnSync("npx", ["--no-install", "stowage", "check", "memory://", "--json"], {
      cwd: project,
      encoding: "utf8",
    });
    expect(check.status).toBe(2);
    expect(JSON.parse(check.stdout)).toMatchObject({ ok: false, code: "ERR_CONFIG" });
    expect(check.stderr).toMatch(/npm install -D @stowage\/conformance vitest/);
  });

  it("installing @stowage/cli pulls no bench, suite, test runner or peer library, and no native module but better-sqlite3", () => {
    const packages = installed(join(project, "node_modules"));
    expect(packages.map((p) => p.name)).toContain("@stowage/cli");
    const names = new Set(packages.map((p) => p.name));
    expect(FORBIDDEN.filter((name) => names.has(name))).toEqual([]);
    const native = packages.filter((p) => existsSync(join(p.dir, "binding.gyp"))).map((p) => p.name);
    expect(native).toContain("better-sqlite3");
    expect(native.filter((name) => !NATIVE_ALLOWED.includes(name))).toEqual([]);
  });
});
