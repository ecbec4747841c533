/**
 * The zip functions (every module under functions/, bundled by SST with esbuild) must not carry the engine:
 * onnxruntime-node is a native addon of ~290 MB that only the worker image holds (docs/serverless.md §4). esbuild
 * bundles what static imports and literal dynamic imports reach; it does not follow
 * `new Worker(new URL("./worker.ts", import.meta.url))`, which is how the local backend starts the engine, so this
 * walk does not either.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");

const STATIC_IMPORT = /^\s*(?:import|export)\s+(?!type\b)(?:[^"';]*?\sfrom\s+)?["']([^"']+)["']/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

const packageName = (specifier: string) => specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");

/** Packages a bundle of `entry` would import. */
function bundledPackages(entry: string): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    for (const match of [...source.matchAll(STATIC_IMPORT), ...source.matchAll(DYNAMIC_IMPORT)]) {
      const specifier = match[1]!;
      if (specifier.startsWith(".")) visit(path.resolve(path.dirname(file), specifier));
      else if (!specifier.startsWith("node:")) packages.add(packageName(specifier));
    }
  };
  visit(path.join(ROOT, entry));
  return packages;
}

const functionFiles = readdirSync(path.join(ROOT, "functions"))
  .filter((f) => f.endsWith(".ts"))
  .map((f) => `functions/${f}`);

describe("the zip functions' bundles", () => {
  it.each(functionFiles)("%s carries no onnxruntime", (file) => {
    expect([...bundledPackages(file)].filter((p) => p.startsWith("onnxruntime"))).toEqual([]);
  });
});

describe("the import walk", () => {
  it("finds onnxruntime where the engine is imported (the local backend's worker thread)", () => {
    expect(bundledPackages("lib/platform/inference/local/worker.ts")).toContain("onnxruntime-node");
  });

  it("finds sharp, which SST installs into the zip functions (infra/api.ts)", () => {
    expect(bundledPackages("functions/png-info.ts")).toContain("sharp");
  });
});
