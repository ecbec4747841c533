/**
 * `serena png-info` (POST /sdapi/v1/png-info in the process) and `serena models` (GET /sdapi/v1/sd-models), run as a
 * user runs them.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writePngText } from "../../../lib/a1111/images/png-text.ts";
import { apiClient } from "../../fixtures/api.ts";
import { tinyModelDir } from "../../fixtures/engine.ts";
import { testServices } from "../../fixtures/services.ts";
import { lines, run } from "./cli-process.ts";

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "serena-cli-info-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const INFOTEXT = "a cat, (sitting:1.2)\nNegative prompt: ugly\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1234, Size: 512x768, Model: sd15";

async function pngWithText(file: string, text: Record<string, string>) {
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#336699" } }).png().toBuffer();
  await writeFile(file, writePngText(png, text));
  return file;
}

describe("serena png-info", () => {
  it("prints the infotext, then the fields A1111's parse_generation_parameters makes of it", async () => {
    const file = await pngWithText(path.join(work, "cat.png"), { parameters: INFOTEXT });
    const result = await run(["png-info", file]);
    expect(result.code).toBe(0);
    const out = lines(result.stdout);
    expect(out.slice(0, 4)).toEqual([...INFOTEXT.split("\n"), ""]);
    // A1111 splits "Size: 512x768" into Size-1 and Size-2 and adds the prompt fields.
    for (const line of ["Prompt: a cat, (sitting:1.2)", "Negative prompt: ugly", "Steps: 20", "Sampler: Euler a", "Seed: 1234", "Size-1: 512", "Size-2: 768"]) {
      expect(out).toContain(line);
    }
  });

  it("--json prints the API's answer as it is", async () => {
    const file = await pngWithText(path.join(work, "cat-json.png"), { parameters: INFOTEXT, Software: "test" });
    const result = await run(["png-info", file, "--json"]);
    expect(result.code).toBe(0);
    const reply = await apiClient(testServices()).post("/sdapi/v1/png-info", { image: (await readFile(file)).toString("base64") });
    expect(JSON.parse(result.stdout)).toEqual(reply.json());
  });

  it("an image without parameters: a line on stderr, exit code 1", async () => {
    const file = await pngWithText(path.join(work, "plain.png"), { Comment: "hello" });
    const result = await run(["png-info", file]);
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([`serena png-info: ${file} holds no generation parameters`]);
  });

  it("a file that is not an image gets the API's 422 message", async () => {
    const file = path.join(work, "notes.txt");
    await writeFile(file, "not an image");
    const result = await run(["png-info", file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^serena png-info: .*notes\.txt: image: Invalid encoded image: .* \(HTTP 422\)\n$/);
  });
});

/** A1111's checkpoint short hash: the first 10 hex digits of the sha256 of the file (here unet/model.onnx). */
const shortHash = async (dir: string) => createHash("sha256").update(await readFile(path.join(dir, "unet", "model.onnx"))).digest("hex").slice(0, 10);

describe("serena models", () => {
  it("lists every model folder of --models-root as A1111 titles them, with its folder", async () => {
    const [sd1, sd2] = await Promise.all([tinyModelDir("sd1-diffusers"), tinyModelDir("sd2-optimum-1.23")]);
    const root = path.join(work, "models");
    await mkdir(root);
    await symlink(sd1, path.join(root, "alpha"));
    await symlink(sd2, path.join(root, "beta"));
    const result = await run(["models", "--models-root", root]);
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([
      `alpha [${await shortHash(sd1)}]\t${path.join(root, "alpha")}`,
      `beta [${await shortHash(sd2)}]\t${path.join(root, "beta")}`,
    ]);
  });

  it("warns about a folder of the root that cannot load, and lists the rest", async () => {
    const root = path.join(work, "models-broken");
    await mkdir(path.join(root, "broken"), { recursive: true });
    await writeFile(path.join(root, "broken", "model_index.json"), "{}");
    await symlink(await tinyModelDir("sd1-diffusers"), path.join(root, "good"));
    const result = await run(["models", "--models-root", root]);
    expect(result.code).toBe(0);
    expect(lines(result.stderr)).toEqual(["warning: --models-root: broken cannot be loaded: text_encoder/model.onnx: missing: the text encoder is required"]);
    expect(lines(result.stdout).map((l) => l.split(/\s/)[0])).toEqual(["broken", "good"]);
  });

  it("a --models-root without model folders is one line and exit code 1", async () => {
    const root = path.join(work, "models-empty");
    await mkdir(root);
    const result = await run(["models", "--models-root", root]);
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([
      `serena models: --models-root=${root}: no loadable model folder in it (a model folder holds model_index.json; docs/models.md describes the folders Serena loads)`,
    ]);
  });
});
