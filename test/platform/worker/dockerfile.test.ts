/**
 * infra/worker.Dockerfile cannot be built here (no Docker engine), so its essential lines are read and checked
 * against the repository: the bases, the build argument, and that every path it names exists.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MALLOC_SETTINGS } from "../../../lib/platform/runtime/allocator.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const text = readFileSync(path.join(ROOT, "infra/worker.Dockerfile"), "utf8");

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions in order, continuation lines joined, comments dropped (Dockerfile reference: format). */
const instructions: Instruction[] = text
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line !== "" && !line.startsWith("#"))
  .map((line) => {
    const [keyword, ...rest] = line.split(/\s+/);
    return { keyword: keyword!.toUpperCase(), args: rest.join(" ") };
  });

/** Stages by name, each with its base and instructions. */
function stages() {
  const found: { name: string; base: string; body: Instruction[] }[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") {
      const [base, , name] = instruction.args.split(/\s+/);
      found.push({ name: name ?? "", base: base!, body: [] });
    } else {
      found.at(-1)?.body.push(instruction);
    }
  }
  return found;
}

const stage = (name: string) => stages().find((s) => s.name === name)!;
const args = (name: string, keyword: string) => stage(name).body.filter((i) => i.keyword === keyword).map((i) => i.args);
const execForm = (value: string) => JSON.parse(value) as string[];

describe("the Lambda image (the default target)", () => {
  it("is the last stage, on AWS's Node 24 Lambda base", () => {
    expect(stages().at(-1)!.name).toBe("lambda");
    expect(stage("lambda").base).toBe("public.ecr.aws/lambda/nodejs:24");
  });

  it("names a handler the Lambda runtime can load, and it is the worker's handler", async () => {
    const [handlerString] = execForm(args("lambda", "CMD")[0]!);
    // The runtime reads "<module>.<export>" from the last path segment and tries the extensions "", .js, .mjs, .cjs
    // (aws-lambda-nodejs-runtime-interface-client, src/utils/handler-path.ts and src/function/module-loader.ts).
    const match = /^(.*\/)?([^./]+)\.(\w+)$/.exec(handlerString!)!;
    const candidates = ["", ".js", ".mjs", ".cjs"].map((ext) => path.join(ROOT, `${match[1] ?? ""}${match[2]}${ext}`));
    const file = candidates.find((f) => existsSync(f))!;
    expect(file).toBeDefined();
    const entry = (await import(file)) as Record<string, unknown>;
    const { handler } = await import("../../../lib/platform/worker/lambda-handler.ts");
    expect(entry[match[3]!]).toBe(handler);
  });
});

describe("dependencies", () => {
  it("are installed on Node 24 without dev dependencies and without onnxruntime's download", () => {
    expect(stage("deps").base).toBe("public.ecr.aws/lambda/nodejs:24");
    const install = args("deps", "RUN").find((r) => r.includes("npm ci"))!;
    expect(install).toMatch(/ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev/);
  });

  it("take ORT_EXECUTION (cpu by default) and run onnxruntime-node's CUDA 12 installer for cuda", () => {
    expect(instructions).toContainEqual({ keyword: "ARG", args: "ORT_EXECUTION=cpu" });
    const cuda = args("deps", "RUN").find((r) => r.includes("ORT_EXECUTION"))!;
    const installer = /node (node_modules\/onnxruntime-node\/script\/install\.js) --onnxruntime-node-install=(\w+)/.exec(cuda)!;
    expect(existsSync(path.join(ROOT, installer[1]!))).toBe(true);
    // The installer's manifest for this platform is what the flag names (script/install-metadata.js).
    const metadata = readFileSync(path.join(ROOT, "node_modules/onnxruntime-node/script/install-metadata.js"), "utf8");
    expect(metadata).toContain(`'linux/x64': ['${installer[2]}']`);
  });
});

describe("the HTTP image for GPU hosts", () => {
  it("defaults to a CUDA 12 + cuDNN base and runs the worker's HTTP server on 0.0.0.0:8080", () => {
    expect(instructions.find((i) => i.keyword === "ARG" && i.args.startsWith("HTTP_BASE="))!.args).toMatch(/^HTTP_BASE=nvidia\/cuda:12\.[\d.]+-cudnn-runtime-/);
    expect(stage("http").base).toBe("${HTTP_BASE}");
    const [node, main] = execForm(args("http", "ENTRYPOINT")[0]!);
    expect(node).toBe("node");
    expect(existsSync(path.join(ROOT, main!))).toBe(true);
    expect(args("http", "ENV")[0]).toMatch(/HOST=0\.0\.0\.0 PORT=8080/);
  });
});

describe("both images", () => {
  it.each(["lambda", "http"])("%s sets the malloc settings the entry points would start themselves with", (name) => {
    const env = args(name, "ENV").join(" ");
    for (const [variable, value] of Object.entries(MALLOC_SETTINGS)) expect(env).toContain(`${variable}=${value}`);
  });
});

describe("the build context", () => {
  it("holds every path the image copies from it, and the ignore file lets each one through", () => {
    const ignore = readFileSync(path.join(ROOT, "infra/worker.Dockerfile.dockerignore"), "utf8").split("\n");
    const sources = instructions
      .filter((i) => i.keyword === "COPY" && !i.args.startsWith("--from"))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources).toEqual(expect.arrayContaining(["package.json", "package-lock.json", "lib", "assets"]));
    for (const source of sources) {
      expect(existsSync(path.join(ROOT, source))).toBe(true);
      expect(ignore.some((line) => line === `!${source}` || line === `!${source}/**`)).toBe(true);
    }
  });
});
