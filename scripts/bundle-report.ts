/**
 * `npm run bench:bundles`: bundles every Lambda function (functions/*.ts) as SST does and reports, per function, the
 * bundle's size, its cold init time (a fresh Node process `import()`ing the bundle, median of several) and the npm
 * packages inside it, onnxruntime above all (it must stay in the worker image; docs/serverless.md §4).
 *
 * SST's Node runtime (sst/sst pkg/runtime/node/build.go, `Build`) calls esbuild with: bundle, platform node, format
 * esm, target esnext, keepNames, mainFields module/main, the `createRequire`/`__dirname` banner, and as externals
 * "sharp" and "pg-native" plus the function's `nodejs.install` packages (infra/api.ts: sharp, and a route's own
 * `install`); no minification and no source map unless asked, which infra/api.ts does not. The same options here.
 * The bundles are written under .cache/bundles/ with a node_modules link to this checkout's, where SST would install
 * the externals beside them.
 *
 *   npm run bench:bundles                 every function, 5 cold imports each
 *   npm run bench:bundles -- --runs 9 --only progress,txt2img
 *
 * Writes bench-results/bundles.json. Targets (docs/engine.md "Benchmark"): light routes init ≤ 150 ms and
 * ≤ 1.5 MB; no onnxruntime in any function.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { build, type Metafile } from "esbuild";
import { evaluate } from "../test/infra/sst-stubs.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const OUT = path.join(ROOT, ".cache", "bundles");

export const MAX_INIT_MS = 150;
export const MAX_START_BYTES = 1.5 * 2 ** 20;

/** The routes that only read settings or small tables: they must start fast. */
export const LIGHT_FUNCTIONS: ReadonlySet<string> = new Set([
  "progress",
  "options-get",
  "options-set",
  "samplers",
  "schedulers",
  "sd-models",
  "sd-vae",
  "upscalers",
  "latent-upscale-modes",
  "loras",
  "embeddings",
  "prompt-styles",
  "cmd-flags",
  "memory",
  "interrupt",
  "skip",
  "ping",
  "scripts",
  "script-info",
  "extensions",
  "face-restorers",
  "hypernetworks",
  "realesrgan-models",
]);

/** Packages a light route should not load before its first use of them (the issue's cold-start list). */
export const HEAVY_PACKAGES = ["onnxruntime", "sharp", "@aws-sdk/", "@smithy/", "onnx-proto", "protobufjs"];

/** The SST banner (build.go): ESM bundles get `require`, `__filename` and `__dirname` back. */
const BANNER = [
  `import { createRequire as topLevelCreateRequire } from 'module';`,
  `const require = topLevelCreateRequire(import.meta.url);`,
  `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
  `const __filename = topLevelFileUrlToPath(import.meta.url)`,
  `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
  "",
].join("\n");

export interface BundleFacts {
  /** All output files. */
  readonly bytes: number;
  /** The entry file and the chunks it imports statically: what a cold start reads and evaluates. */
  readonly startBytes: number;
  /** npm packages with a file in the bundle, and the externals it imports. */
  readonly packages: string[];
  readonly externals: string[];
  /** The npm packages (bundled or external) that the start chunks load: what a cold start pays for. */
  readonly startPackages: string[];
  /** The source files bundled into the start chunks, as esbuild names them. */
  readonly startInputs: string[];
}

const packageOf = (file: string): string | null => {
  const at = file.lastIndexOf("node_modules/");
  if (at === -1) return null;
  const rest = file.slice(at + "node_modules/".length).split("/");
  return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
};

/** The package a bare import specifier names: "@aws-sdk/client-s3/x" → "@aws-sdk/client-s3". */
const packageName = (specifier: string) => specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");

/** SST's forced externals (node.go `forceExternal`). */
const FORCE_EXTERNAL = ["sharp", "pg-native"];

/** Bundles functions/<name>.ts into `outDir` with SST's settings for `nodejs`; returns the entry file and what went in. */
export async function bundleFunction(name: string, outDir: string, nodejs: NodejsSettings): Promise<BundleFacts & { file: string }> {
  const file = path.join(outDir, `${name}.mjs`);
  const result = await build({
    entryPoints: [path.join(ROOT, "functions", `${name}.ts`)],
    platform: "node",
    external: [...FORCE_EXTERNAL, ...(nodejs.install ?? []), ...(nodejs.esbuild?.external ?? [])],
    keepNames: true,
    bundle: true,
    splitting: nodejs.splitting ?? false,
    metafile: true,
    ...(nodejs.splitting ? { outdir: outDir, outExtension: { ".js": ".mjs" } } : { outfile: file }),
    write: true,
    format: "esm",
    target: "esnext",
    mainFields: ["module", "main"],
    banner: { js: BANNER + (nodejs.banner ?? "") },
    ...(nodejs.minify ? { minifyWhitespace: true, minifySyntax: true, minifyIdentifiers: true } : {}),
    logLevel: "silent",
  });
  return { file, ...metafileFacts(result.metafile, file) };
}

export function metafileFacts(metafile: Metafile, entryFile: string): BundleFacts {
  const packages = new Set<string>();
  const externals = new Set<string>();
  for (const [input, facts] of Object.entries(metafile.inputs)) {
    const pkg = packageOf(input);
    if (pkg) packages.add(pkg);
    for (const imported of facts.imports) if (imported.external && !imported.path.startsWith("node:")) externals.add(imported.path);
  }
  const outputs = new Map(Object.entries(metafile.outputs).map(([out, facts]) => [path.resolve(out), facts]));
  const bytes = [...outputs.values()].reduce((sum, output) => sum + output.bytes, 0);
  // Chunks reached through `import` statements load at start; `import()` chunks wait for their first use.
  const start = new Set<string>();
  const visit = (out: string) => {
    if (start.has(out) || !outputs.has(out)) return;
    start.add(out);
    for (const imported of outputs.get(out)!.imports) if (imported.kind === "import-statement" && !imported.external) visit(path.resolve(imported.path));
  };
  visit(path.resolve(entryFile));
  const startBytes = [...start].reduce((sum, out) => sum + outputs.get(out)!.bytes, 0);
  const startPackages = new Set<string>();
  const startInputs = new Set<string>();
  for (const out of start) {
    const facts = outputs.get(out)!;
    for (const input of Object.keys(facts.inputs)) {
      startInputs.add(input);
      const pkg = packageOf(input);
      if (pkg) startPackages.add(pkg);
    }
    for (const imported of facts.imports) {
      if (imported.external && imported.kind === "import-statement" && !imported.path.startsWith("node:")) startPackages.add(packageName(imported.path));
    }
  }
  return { bytes, startBytes, packages: [...packages].sort(), externals: [...externals].sort(), startPackages: [...startPackages].sort(), startInputs: [...startInputs].sort() };
}

/**
 * How long a fresh Node process takes to import `file` (module evaluation included), median of `runs`: wall-clock
 * milliseconds, and the CPU milliseconds the process spent meanwhile. On a machine shared with other work the wall
 * figure mostly measures the wait for a core; the CPU figure is what the import costs and what an idle Lambda
 * sandbox would wait (the import runs on one thread; GC helper threads add a little).
 */
function initTimes(file: string, runs: number): { wallMs: number; cpuMs: number } {
  const url = JSON.stringify(new URL(`file://${file}`).href);
  const script = `const c = process.cpuUsage(); const t = performance.now(); await import(${url}); const w = performance.now() - t; const u = process.cpuUsage(c); console.log(w, (u.user + u.system) / 1000);`;
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: path.dirname(file),
      // The function's environment without a bucket: nothing is read at import time anyway.
      env: { PATH: process.env.PATH, NODE_ENV: "production", SERENA_LOG_LEVEL: "silent" },
      encoding: "utf8",
    });
    const [w, c] = out.trim().split("\n").at(-1)!.split(" ").map(Number);
    wall.push(w!);
    cpu.push(c!);
  }
  return { wallMs: median(wall), cpuMs: median(cpu) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A deployed function as sst.config.ts declares it: its handler module and its `nodejs` settings. */
interface DeployedFunction {
  readonly name: string;
  readonly nodejs: NodejsSettings;
}

/** The `nodejs` arguments SST's Node runtime reads (sst.aws.FunctionArgs["nodejs"], NodeProperties in node.go). */
export interface NodejsSettings {
  readonly install?: readonly string[];
  readonly splitting?: boolean;
  readonly minify?: boolean;
  readonly banner?: string;
  readonly esbuild?: { readonly external?: readonly string[] };
}

/** Every zip function sst.config.ts deploys (the API routes and the job runner), read through the test stubs. */
async function deployedFunctions(): Promise<DeployedFunction[]> {
  const deployed = await evaluate("ci");
  const handlers = [...deployed.routes.map((r) => r.args), ...deployed.all("sst.aws.Function").map((f) => f.args)] as {
    handler: string;
    nodejs?: NodejsSettings;
  }[];
  const byName = new Map<string, DeployedFunction>();
  for (const args of handlers) {
    const name = path.basename(args.handler).replace(/\.handler$/, "");
    byName.set(name, { name, nodejs: args.nodejs ?? {} });
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

async function main() {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "5" },
      only: { type: "string" },
      json: { type: "string", default: path.join("bench-results", "bundles.json") },
    },
    strict: true,
  });
  const runs = Math.max(1, Number(values.runs));
  const only = values.only ? new Set(values.only.split(",")) : null;
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  // SST installs the externals beside the bundle; a link to this checkout's node_modules stands in for that.
  symlinkSync(path.join(ROOT, "node_modules"), path.join(OUT, "node_modules"), "dir");
  const functions = (await deployedFunctions()).filter((f) => only === null || only.has(f.name));
  const rows = [];
  for (const { name, nodejs } of functions) {
    const deployed = await bundleFunction(name, path.join(OUT, name), nodejs);
    const onnxruntime = [...deployed.packages, ...deployed.externals].filter((p) => p.startsWith("onnxruntime"));
    const init = initTimes(deployed.file, runs);
    const light = LIGHT_FUNCTIONS.has(name);
    rows.push({
      function: name,
      light,
      splitting: nodejs.splitting ?? false,
      kB: Math.round(deployed.bytes / 1024),
      startKB: Math.round(deployed.startBytes / 1024),
      initMs: Number(init.wallMs.toFixed(1)),
      initCpuMs: Number(init.cpuMs.toFixed(1)),
      onnxruntime: onnxruntime.length > 0,
      heavyAtStart: deployed.startPackages.filter((p) => HEAVY_PACKAGES.some((h) => p.startsWith(h))).join(" "),
      // The lower of the two estimates the init of an idle sandbox: on an idle machine the wall time (GC helper
      // threads make the CPU time exceed it), on a loaded one the CPU time (the wall time waits for a core).
      ok: onnxruntime.length === 0 && (!light || (Math.min(init.wallMs, init.cpuMs) <= MAX_INIT_MS && deployed.startBytes <= MAX_START_BYTES)),
      packages: deployed.packages.join(" "),
    });
  }
  console.table(rows.map(({ packages: _, ...row }) => row));
  const failing = rows.filter((r) => !r.ok);
  console.log(
    failing.length === 0
      ? `all ${rows.length} functions within targets (light routes: init ≤ ${MAX_INIT_MS} ms (lower of wall and CPU) and ≤ 1.5 MB loaded at start; none with onnxruntime)`
      : `outside targets: ${failing.map((r) => r.function).join(", ")}`,
  );
  mkdirSync(path.dirname(values.json), { recursive: true });
  const load = os.loadavg()[0]!.toFixed(2);
  console.log(`load average (1 min) at the end: ${load} on ${os.cpus().length} CPUs`);
  writeFileSync(values.json, JSON.stringify({ date: new Date().toISOString(), node: process.version, runs, loadAverage: Number(load), functions: rows }, null, 2) + "\n");
  console.log(`wrote ${values.json}`);
  if (failing.length > 0) process.exitCode = 1;
}

if (import.meta.main) await main();
