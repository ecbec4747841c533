/**
 * What each zip function loads when it starts, read from esbuild's metafile with the settings SST bundles them with
 * (each route's `nodejs` arguments as sst.config.ts passes them: code splitting, so modules reached only through
 * `import()` wait in their own chunks; without it esbuild hoists every external import, sharp's too, to the top).
 * A light route (`/sdapi/v1/progress`, `/options`, `/samplers`, …) must not load onnxruntime-node or sharp at start:
 * a static import of either anywhere in its graph would put the native addon on its cold start (docs/engine.md
 * "Benchmark", `npm run bench:bundles` for the sizes and times).
 */
import path from "node:path";
import { build, type Metafile } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { LIGHT_FUNCTIONS, metafileFacts, type NodejsSettings } from "../../scripts/bundle-report.ts";
import { evaluate, ROOT } from "./sst-stubs.ts";

const NATIVE = ["onnxruntime-node", "onnxruntime-common", "sharp"];

/** One esbuild run over several entries (cheap: no output written); the start packages and files of each entry. */
async function startGraphs(entries: readonly string[], nodejs: NodejsSettings): Promise<Map<string, { packages: string[]; inputs: string[] }>> {
  const outdir = path.join(ROOT, ".cache", "bundle-graph");
  const result = await build({
    entryPoints: entries.map((entry) => path.join(ROOT, entry)),
    absWorkingDir: ROOT,
    platform: "node",
    bundle: true,
    splitting: nodejs.splitting ?? false,
    format: "esm",
    target: "esnext",
    mainFields: ["module", "main"],
    external: ["sharp", "pg-native", ...(nodejs.install ?? [])],
    outdir,
    outbase: ROOT,
    // onnxruntime-node's native addons: nothing here runs the bundle, so they need no content.
    loader: { ".node": "empty" },
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const metafile: Metafile = result.metafile;
  const byEntry = new Map<string, { packages: string[]; inputs: string[] }>();
  for (const [output, facts] of Object.entries(metafile.outputs)) {
    if (facts.entryPoint === undefined) continue;
    const { startPackages, startInputs } = metafileFacts(metafile, path.resolve(ROOT, output));
    byEntry.set(facts.entryPoint, { packages: startPackages, inputs: startInputs });
  }
  return byEntry;
}

const lightEntries = [...LIGHT_FUNCTIONS].map((name) => `functions/${name}.ts`);
let started: Map<string, { packages: string[]; inputs: string[] }>;

beforeAll(async () => {
  const deployed = await evaluate("ci");
  const progress = deployed.routes.find((route) => route.args.handler === "functions/progress.handler");
  const nodejs = progress!.args.nodejs as NodejsSettings;
  // Every route is bundled alike; a route with other settings would show up in `npm run bench:bundles`.
  for (const route of deployed.routes) expect(route.args.nodejs.splitting, route.key).toBe(nodejs.splitting);
  started = await startGraphs([...lightEntries, "functions/png-info.ts", "lib/platform/inference/local/worker.ts"], nodejs);
});

describe("a light function's start", () => {
  it.each(lightEntries)("%s loads neither onnxruntime nor sharp", (entry) => {
    const graph = started.get(entry);
    expect(graph, `${entry} was not bundled`).toBeDefined();
    expect(graph!.packages.filter((p) => NATIVE.includes(p))).toEqual([]);
  });

  // `import { z } from "zod"` keeps zod's whole namespace, its 40-odd locales included (about 350 kB more to compile
  // at every cold start); `import * as z` lets esbuild drop them. English comes in through zod's default config.
  it.each(lightEntries)("%s bundles no zod locale but English", (entry) => {
    const locales = started.get(entry)!.inputs.filter((input) => /node_modules\/zod\/.*\/locales\/(?!en\.js$|index\.js$)/.test(input));
    expect(locales).toEqual([]);
  });
});

describe("the start-graph walk", () => {
  it("sees sharp where a function imports it statically (png-info decodes the image at once)", () => {
    expect(started.get("functions/png-info.ts")!.packages).toContain("sharp");
  });

  it("sees onnxruntime-node where the engine is imported (the local backend's worker thread)", () => {
    expect(started.get("lib/platform/inference/local/worker.ts")!.packages).toContain("onnxruntime-node");
  });
});
