/**
 * `serena txt2img` / `serena img2img` on the real engine with the generated tiny model (test/fixtures/engine.ts),
 * in a child process as a user runs them: the images are the API's own bytes for the same request, written as
 * A1111 names them with their infotext; refusals carry the API's message; flags win over the environment; the
 * progress bar shows on a terminal only.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPngText } from "../../../lib/a1111/images/png-text.ts";
import { apiClient } from "../../fixtures/api.ts";
import { tinyModelDir } from "../../fixtures/engine.ts";
import { testServices } from "../../fixtures/services.ts";
import { lines, run, runOnTerminal, STACK_FRAME } from "./cli-process.ts";

let modelDir: string;
let work: string;

beforeAll(async () => {
  modelDir = await tinyModelDir();
  work = await mkdtemp(path.join(os.tmpdir(), "serena-cli-"));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const parameters = async (file: string) => readPngText(await readFile(file)).parameters;

describe("serena txt2img", () => {
  it("writes the API's images for the same request as NNNNN-SEED.png, with their infotext, and prints their paths", async () => {
    const out = path.join(work, "txt2img");
    const result = await run(["txt2img", "a red fox", "--seed", "42", "--steps", "3", "--size", "64x64", "--batch-size", "2", "--model-dir", modelDir, "-o", out]);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([path.join(out, "00000-42.png"), path.join(out, "00001-43.png")]);

    // The same body through the txt2img handler in this process, on the same model: the same bytes.
    const services = testServices({ SERENA_BACKEND: "local", SERENA_MODEL_DIR: modelDir });
    try {
      const reply = await apiClient(services).post("/sdapi/v1/txt2img", { prompt: "a red fox", seed: 42, steps: 3, width: 64, height: 64, batch_size: 2 });
      expect(reply.status).toBe(200);
      const images = (reply.json() as { images: string[] }).images;
      expect(await readFile(path.join(out, "00000-42.png"))).toEqual(Buffer.from(images[0]!, "base64"));
      expect(await readFile(path.join(out, "00001-43.png"))).toEqual(Buffer.from(images[1]!, "base64"));
    } finally {
      await services.backend.close?.();
    }
    const infotext = await parameters(path.join(out, "00000-42.png"));
    expect(infotext).toMatch(/^a red fox\nSteps: 3, Sampler: Euler, Schedule type: Automatic, CFG scale: 7\.0, Seed: 42, Size: 64x64, /);
    expect(infotext).toContain(`Model: ${path.basename(modelDir)}`);
  });

  it("numbers on from the files already in the folder, as A1111's get_next_sequence_number", async () => {
    const out = path.join(work, "numbering");
    const args = ["txt2img", "a fox", "--steps", "1", "--size", "64x64", "--model-dir", modelDir, "-o", out];
    await run([...args, "--seed", "7", "-n", "2"]);
    const second = await run([...args, "--seed", "9"]);
    expect(second.code).toBe(0);
    expect(lines(second.stdout)).toEqual([path.join(out, "00002-9.png")]);
    expect((await readdir(out)).sort()).toEqual(["00000-7.png", "00001-8.png", "00002-9.png"]);
  });

  it("refuses what the API refuses, with the API's message, exit code 1 and no file", async () => {
    const out = path.join(work, "refused");
    const result = await run(["txt2img", "a fox", "--steps", "151", "--model-dir", modelDir, "-o", out]);
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual(["serena txt2img: steps: ensure this value is less than or equal to 150 (HTTP 422)"]);
    expect(result.stdout).toBe("");
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);

    // The message is the API's: the handler's 422 for the same body says the same.
    const reply = await apiClient(testServices()).post("/sdapi/v1/txt2img", { prompt: "a fox", steps: "151" });
    expect(reply.status).toBe(422);
    expect(reply.json().detail).toEqual([expect.objectContaining({ loc: ["body", "steps"], msg: "ensure this value is less than or equal to 150" })]);
  });

  it("names the flag when the API's field has another name (n_iter is --batch-count)", async () => {
    const result = await run(["txt2img", "a fox", "-n", "0", "--backend", "none"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("n_iter (--batch-count): ensure this value is greater than or equal to 1");
  });

  it("passes any other request field with --set, read by the API's schema", async () => {
    const out = path.join(work, "set");
    const result = await run(["txt2img", "a fox", "--steps", "2", "--size", "64x64", "--seed", "5", "--set", "subseed=77", "--set", "subseed_strength=0.5", "--model-dir", modelDir, "-o", out]);
    expect(result.code).toBe(0);
    expect(await parameters(path.join(out, "00000-5.png"))).toContain("Variation seed: 77, Variation seed strength: 0.5");
  });
});

describe("flags over the environment", () => {
  it("--model-dir wins over SERENA_MODEL_DIR, both ways", async () => {
    const out = path.join(work, "precedence");
    const good = await run(["txt2img", "a fox", "--steps", "1", "--size", "64x64", "--seed", "1", "--model-dir", modelDir, "-o", out], {
      env: { SERENA_MODEL_DIR: "/nonexistent/model" },
    });
    expect(good.code).toBe(0);
    const bad = await run(["txt2img", "a fox", "--steps", "1", "--model-dir", "/nonexistent/model", "-o", out], { env: { SERENA_MODEL_DIR: modelDir } });
    expect(bad.code).toBe(1);
    expect(lines(bad.stderr)).toEqual([
      "serena txt2img: --model-dir=/nonexistent/model: model folder does not exist (docs/models.md describes the folders Serena loads)",
    ]);
  });

  it("a bad value in a flag names the flag and is a usage error (2); in the environment, the variable (1)", async () => {
    const flag = await run(["txt2img", "a fox", "--threads", "many"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("--threads (SERENA_ORT_THREADS):");
    const variable = await run(["txt2img", "a fox"], { env: { SERENA_ORT_THREADS: "many" } });
    expect(variable.code).toBe(1);
    expect(lines(variable.stderr)).toHaveLength(1);
    expect(variable.stderr).toMatch(/^serena txt2img: invalid configuration: SERENA_ORT_THREADS: /);
  });
});

describe("serena img2img", () => {
  it("reads --init files and sends them as init_images; the infotext has the denoising strength", async () => {
    const out = path.join(work, "img2img");
    const first = await run(["txt2img", "a fox", "--steps", "2", "--size", "64x64", "--seed", "3", "--model-dir", modelDir, "-o", out]);
    const init = lines(first.stdout)[0]!;
    const result = await run(["img2img", "a fox at night", "--init", init, "--denoise", "0.5", "--steps", "4", "--seed", "11", "--size", "64x64", "--model-dir", modelDir, "-o", out]);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([path.join(out, "00001-11.png")]);
    const infotext = await parameters(path.join(out, "00001-11.png"));
    expect(infotext).toMatch(/^a fox at night\n/);
    expect(infotext).toContain("Denoising strength: 0.5");
    expect(infotext).toContain("Size: 64x64");
  });

  it("a missing --init file is one line and exit code 1", async () => {
    const result = await run(["img2img", "x", "--init", path.join(work, "missing.png"), "--backend", "none"]);
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([`serena img2img: --init ${path.join(work, "missing.png")}: cannot be read (ENOENT)`]);
  });
});

describe("progress", () => {
  const args = () => ["txt2img", "a fox", "--steps", "8", "--size", "64x64", "--seed", "2", "-n", "2", "--model-dir", modelDir, "-o", path.join(work, "progress")];

  it("on a terminal: a bar with steps, it/s and ETA, redrawn in place, then the paths", async () => {
    const result = await runOnTerminal(args());
    expect(result.code).toBe(0);
    const screen = result.stdout;
    expect(screen).toMatch(/loading model \|/);
    expect(screen).toMatch(/sampling \|[█░]+\| 100% \| job 2\/2 step 8\/8 \| [\d.]+ it\/s \| ETA 0s \|/);
    // Redrawn with a carriage return to column 1 and an erase to the end of the line (cli-progress's terminal).
    expect(screen).toContain("\x1b[1G");
    expect(screen).toMatch(/00000-2\.png\r?\n.*00001-3\.png/);
  });

  it("piped: no control characters, one line per finished job on stderr, the paths on stdout", async () => {
    const result = await run(args());
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain("\x1b");
    expect(lines(result.stderr)).toEqual([
      expect.stringMatching(/^job 1\/2: 8 steps in [\d.]+ s \(first step after [\d.]+ s(, then [\d.]+ it\/s)?\)$/),
      expect.stringMatching(/^job 2\/2: 8 steps in [\d.]+ s \(first step after [\d.]+ s(, then [\d.]+ it\/s)?\)$/),
    ]);
    expect(lines(result.stdout)).toHaveLength(2);
  });
});

describe("the CI fake", () => {
  it("under CI=true the command says loudly that its images are placeholders, and they are the fake's", async () => {
    const out = path.join(work, "ci-fake");
    const result = await run(["txt2img", "a fox", "--steps", "2", "--size", "64x64", "--seed", "4", "--model-dir", modelDir, "-o", out], { env: { CI: "true" } });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("CI=true: THE CI FAKE IS ON.");
    expect(result.stderr).toContain("this command answers with FAKE placeholder images");
    expect(await parameters(path.join(out, "00000-4.png"))).toContain("CI fake");
  });
});
