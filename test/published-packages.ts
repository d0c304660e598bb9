import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  files?: string[];
  bin?: Record<string, string>;
  repository?: { type: string; url: string; directory: string };
  homepage?: string;
  bugs?: { url: string };
  keywords?: string[];
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies?: Record<string, string>;
}

/** Every workspace package of the repository (all are published), with the folder it lives in. */
export function publishedPackages(): { dir: string; manifest: Manifest }[] {
  const root = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { workspaces: string[] };
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, unknown>;
  };
  const dirs = Object.keys(lock.packages).filter(
    (path) => path !== "" && !path.includes("node_modules") && root.workspaces.some((w) => matches(w, path)),
  );
  return dirs.map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(ROOT, dir, "package.json"), "utf8")) }));
}

function matches(workspace: string, path: string): boolean {
  return workspace.endsWith("/*")
    ? path.startsWith(workspace.slice(0, -1)) && !path.slice(workspace.length - 1).includes("/")
    : path === workspace;
}
