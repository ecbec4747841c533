/**
 * The layering of docs/architecture.md, checked on every import in lib/: the engine imports nothing above it, the
 * A1111 layer nothing of the platform, and each layer only the npm packages its job needs. A new import that breaks
 * a rule fails here with the file and the import named.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");

interface Layer {
  /** Folder under lib/. */
  readonly folder: string;
  /** Folders under lib/ it may import from (its own included). */
  readonly mayImport: readonly string[];
  /** npm packages it may import. */
  readonly packages: readonly string[];
}

const ENGINE_PACKAGES = ["onnxruntime-node", "sharp", "zod", "@huggingface/tokenizers", "onnx-proto"];

const LAYERS: readonly Layer[] = [
  { folder: "engine", mayImport: ["engine"], packages: ENGINE_PACKAGES },
  { folder: "a1111", mayImport: ["a1111", "engine"], packages: ENGINE_PACKAGES },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join(dir, f));
}

/** Every import specifier of a file: static, side-effect, re-export and dynamic imports, and `new URL()` module paths. */
export function importsOf(source: string): string[] {
  const specifiers: string[] = [];
  // Specifiers have no spaces, which keeps prose in comments ("from \"a paper\"") out.
  const patterns = [/\bfrom\s+["']([^"'\s]+)["']/g, /\bimport\s+["']([^"'\s]+)["']/g, /\bimport\(\s*["'`]([^"'`$\s]+)["'`]/g, /new URL\(\s*["'`](\.[^"'`$\s]+\.ts)["'`]/g];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) specifiers.push(match[1]!);
  return specifiers;
}

/** The lib/ folder a relative import lands in, or "outside" for anything out of lib/. */
function targetFolder(file: string, specifier: string): string {
  const target = path.relative(path.join(ROOT, "lib"), path.resolve(path.dirname(path.join(ROOT, file)), specifier));
  return target.startsWith("..") ? "outside" : target.split(path.sep)[0]!;
}

const packageName = (specifier: string) => (specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!);

function violations(layer: Layer): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(path.join("lib", layer.folder))) {
    for (const specifier of importsOf(readFileSync(path.join(ROOT, file), "utf8"))) {
      if (specifier.startsWith("node:")) continue;
      if (specifier.startsWith(".")) {
        const folder = targetFolder(file, specifier);
        if (!layer.mayImport.includes(folder)) found.push(`${file} imports ${specifier} (lib/${folder})`);
      } else if (!layer.packages.includes(packageName(specifier))) {
        found.push(`${file} imports the package ${specifier}`);
      }
    }
  }
  return found;
}

describe("layers", () => {
  it.each(LAYERS.map((l) => [l.folder, l] as const))("lib/%s imports only what its layer may", (_folder, layer) => {
    expect(violations(layer)).toEqual([]);
  });

  it("the check sees every kind of import", () => {
    const source = [
      `import { a } from "../a1111/x.ts";`,
      `import type { B } from "../../platform/y.ts";`,
      `export * from "./z.ts";`,
      `import "./side-effect.ts";`,
      `await import("../platform/lazy.ts");`,
      `new Worker(new URL("../platform/worker.ts", import.meta.url));`,
    ].join("\n");
    expect(importsOf(source)).toEqual(["../a1111/x.ts", "../../platform/y.ts", "./z.ts", "./side-effect.ts", "../platform/lazy.ts", "../platform/worker.ts"]);
    expect(targetFolder("lib/engine/pipeline/generate.ts", "../../platform/http/route.ts")).toBe("platform");
    expect(targetFolder("lib/engine/pipeline/generate.ts", "../plan.ts")).toBe("engine");
  });
});
