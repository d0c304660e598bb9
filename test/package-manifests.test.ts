import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { publishedPackages, ROOT } from "./published-packages.js";

const packages = publishedPackages();
const names = new Set(packages.map((p) => p.manifest.name));
const license = readFileSync(join(ROOT, "LICENSE"), "utf8");

describe("published manifests", () => {
  it("finds every workspace package (a wrong glob would make every other test here pass on nothing)", () => {
    expect(packages.length).toBeGreaterThanOrEqual(11);
    expect(names).toContain("@stowage/core");
    expect(names).toContain("@stowage/cli");
  });

  describe.each(packages)("$dir", ({ dir, manifest }) => {
    it("ships the MIT LICENSE file, identical to the root's", () => {
      expect(manifest.license).toBe("MIT");
      expect(manifest.files).toContain("LICENSE");
      expect(readFileSync(join(ROOT, dir, "LICENSE"), "utf8")).toBe(license);
    });

    it("ships src beside dist, so the source maps' ../src resolves", () => {
      expect(manifest.files).toEqual(expect.arrayContaining(["dist", "src"]));
      expect(existsSync(join(ROOT, dir, "src"))).toBe(true);
    });

    it("names its repository folder, homepage, issue tracker and keywords", () => {
      expect(manifest.repository).toMatchObject({ type: "git", directory: dir });
      expect(manifest.repository?.url).toMatch(/^git\+https:\/\/github\.com\/.+\.git$/);
      expect(manifest.homepage).toMatch(new RegExp(`^https://github\\.com/.+/tree/main/${dir}#readme$`));
      expect(manifest.bugs?.url).toMatch(/^https:\/\/github\.com\/.+\/issues$/);
      expect(manifest.keywords?.length ?? 0).toBeGreaterThan(0);
    });

    it("declares its dependencies and peers as ^ ranges (the lockfile pins what the repo tests)", () => {
      for (const [dep, range] of Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies })) {
        expect(range, `${dep}@${range}`).toMatch(/^\^\d+\.\d+\.\d+(-[\w.]+)?$/);
      }
    });

    it("depends on no workspace-only package and no local path", () => {
      for (const [dep, range] of Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies })) {
        expect(range, dep).not.toMatch(/^(workspace:|file:|link:|\.)/);
        if (dep.startsWith("@stowage/")) expect(names, `${dep} is not a published workspace package`).toContain(dep);
      }
      expect(manifest.private).not.toBe(true);
    });

    it("every bin it names exists", () => {
      for (const bin of Object.values(manifest.bin ?? {})) {
        const path = join(ROOT, dir, bin);
        expect(existsSync(path) || bin.startsWith("./dist/"), bin).toBe(true);
      }
    });
  });

  it("@stowage/cli depends on core, commander and cli-progress only; conformance, vitest and bench are optional peers", () => {
    const cli = packages.find((p) => p.manifest.name === "@stowage/cli")?.manifest;
    expect(Object.keys(cli?.dependencies ?? {}).sort()).toEqual(["@stowage/core", "cli-progress", "commander"]);
    for (const peer of ["@stowage/conformance", "@stowage/bench", "vitest"]) {
      expect(cli?.peerDependencies).toHaveProperty([peer]);
      expect(cli?.peerDependenciesMeta?.[peer]?.optional, peer).toBe(true);
    }
  });

  it("@stowage/keyv takes keyv as a peer, as @keyv/redis and @keyv/sqlite do", () => {
    const keyv = packages.find((p) => p.manifest.name === "@stowage/keyv")?.manifest;
    expect(keyv?.dependencies).not.toHaveProperty(["keyv"]);
    expect(keyv?.peerDependencies).toHaveProperty(["keyv"]);
  });

  it("@stowage/bench has its own bin, so `stowage bench` is an optional delegation", () => {
    const bench = packages.find((p) => p.manifest.name === "@stowage/bench")?.manifest;
    expect(bench?.bin).toEqual({ "stowage-bench": "./dist/cli.js" });
  });

  it("no tarball ships a Vite cache, a results.json, tests or a tsbuildinfo", () => {
    const packed = JSON.parse(
      execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts", ...packages.map((p) => `./${p.dir}`)], {
        cwd: ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }),
    ) as { name: string; files: { path: string }[] }[];
    expect(packed.map((p) => p.name).sort()).toEqual([...names].sort());
    for (const tarball of packed) {
      const paths = tarball.files.map((f) => f.path);
      expect(paths, tarball.name).toContain("LICENSE");
      expect(paths, tarball.name).toContain("package.json");
      const unwanted = paths.filter((p) => /(^|\/)(\.vite|node_modules|test)\/|results\.json$|\.tsbuildinfo$/.test(p));
      expect(unwanted, tarball.name).toEqual([]);
    }
  });
});
