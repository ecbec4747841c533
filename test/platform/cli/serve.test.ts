/**
 * Starting the server, by `npm start` (lib/platform/server/main.ts) and by `serena serve`: what a user can get wrong
 * (a model folder, an environment value, a port already taken) stops it at once with one line naming the folder,
 * variable or address and a non-zero exit code; once listening, a banner says what is served, and loudly when the
 * CI fake answers generation requests.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyModelDir } from "../../fixtures/engine.ts";
import { childEnv, lines, run, SERENA_BIN, SERVER_MAIN, STACK_FRAME } from "./cli-process.ts";

let modelDir: string;
let work: string;
beforeAll(async () => {
  modelDir = await tinyModelDir();
  work = await mkdtemp(path.join(os.tmpdir(), "serena-serve-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const npmStart = (env: Record<string, string>) => run([], { command: [process.execPath, SERVER_MAIN], env, timeoutMs: 20_000 });

/** The checks every start-up failure passes: a non-zero exit, one line on stderr, no stack trace, nothing on stdout. */
function expectOneLine(result: Awaited<ReturnType<typeof run>>, code = 1): string {
  expect(result.signal).toBeNull();
  expect(result.code).toBe(code);
  expect(result.stdout).toBe("");
  expect(result.stderr).not.toMatch(STACK_FRAME);
  expect(lines(result.stderr)).toHaveLength(1);
  return result.stderr.trim();
}

describe("start-up checks", () => {
  it("SERENA_MODEL_DIR=/nonexistent npm start: exits at once, naming the folder", async () => {
    const started = performance.now();
    const line = expectOneLine(await npmStart({ SERENA_MODEL_DIR: "/nonexistent" }));
    expect(line).toBe("serena: SERENA_MODEL_DIR=/nonexistent: model folder does not exist (docs/models.md describes the folders Serena loads)");
    // At once: no model is loaded and nothing listens (a generous bound for a loaded CI machine).
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it("a folder without the diffusers ONNX layout: names the file the engine's folder reader misses", async () => {
    const dir = path.join(work, "not-a-model");
    await mkdir(dir);
    const line = expectOneLine(await npmStart({ SERENA_MODEL_DIR: dir }));
    expect(line).toBe(`serena: SERENA_MODEL_DIR=${dir}: model_index.json: missing: not a diffusers ONNX model folder (docs/models.md describes the folders Serena loads)`);
  });

  it("SERENA_MODELS_ROOT that does not exist, or is a file", async () => {
    expect(expectOneLine(await npmStart({ SERENA_MODELS_ROOT: path.join(work, "nope") }))).toBe(`serena: SERENA_MODELS_ROOT=${path.join(work, "nope")}: the folder does not exist`);
    expect(expectOneLine(await npmStart({ SERENA_MODELS_ROOT: SERVER_MAIN }))).toBe(`serena: SERENA_MODELS_ROOT=${SERVER_MAIN}: not a folder`);
  });

  it.each([
    ["PORT", "seventy"],
    ["SERENA_BACKEND", "gpu"],
    ["SERENA_MAX_RESPONSE_BYTES", "-5"],
  ])("a bad %s is one line naming the variable", async (variable, value) => {
    const line = expectOneLine(await npmStart({ [variable]: value }));
    expect(line).toMatch(new RegExp(`^serena: invalid configuration: ${variable}: `));
  });

  it("a port in use: which host:port is taken and how to choose another", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const line = expectOneLine(await npmStart({ PORT: String(port), SERENA_BACKEND: "none" }));
      expect(line).toBe(
        `serena: 127.0.0.1:${port} is already in use (is another server running?); choose another port with --port N (serena serve) or PORT=N (npm start); port 0 picks a free one`,
      );
      const viaCli = await run(["serve", "--port", String(port), "--backend", "none"], { timeoutMs: 20_000 });
      expect(expectOneLine(viaCli)).toContain(`serena serve: 127.0.0.1:${port} is already in use`);
    } finally {
      blocker.close();
    }
  });

  it("serena serve names the flag that set a bad value", async () => {
    const line = expectOneLine(await run(["serve", "--model-dir", "/nonexistent"], { timeoutMs: 20_000 }));
    expect(line).toBe("serena serve: --model-dir=/nonexistent: model folder does not exist (docs/models.md describes the folders Serena loads)");
  });
});

interface Started {
  child: ChildProcess;
  banner: string;
  url: string;
}

/** Starts a server and waits for its banner (the line "  CI fake …" ends the facts). */
async function startServing(command: string[], env: Record<string, string | undefined>): Promise<Started> {
  const child = spawn(command[0]!, command.slice(1), { env: childEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  const banner = await new Promise<string>((resolve, reject) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      if (/\n {2}CI fake +\S+\n/.test(stderr)) setTimeout(() => resolve(stderr), 200);
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
  });
  const url = /^Serena is listening on (\S+)$/m.exec(banner)?.[1];
  if (!url) throw new Error(`no URL in ${banner}`);
  return { child, banner, url };
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const [code] = (await exited) as [number | null];
  return code;
}

describe("the banner", () => {
  it("npm start: URL, backend, the generated tiny model, auth off, CI fake off — and it serves there", async () => {
    const { child, banner, url } = await startServing([process.execPath, SERVER_MAIN], { PORT: "0", SERENA_CACHE_DIR: path.join(work, "cache") });
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(lines(banner)).toEqual([
        `Serena is listening on ${url}`,
        `  API docs  ${url}/docs`,
        "  backend   local (the engine in a worker thread of this process)",
        "  model     generated tiny test model (random weights: its images are coloured noise; set SERENA_MODEL_DIR for pictures)",
        "  auth      off",
        "  CI fake   off",
      ]);
      const reply = await fetch(`${url}/sdapi/v1/options`);
      expect(reply.status).toBe(200);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });

  it("serena serve: flags over the environment (PORT=seventy is overridden by --port 0), auth on, the model folder named", async () => {
    const { child, banner, url } = await startServing([process.execPath, SERENA_BIN, "serve", "--port", "0", "--model-dir", modelDir, "--auth", "ann:secret"], {
      PORT: "seventy",
      SERENA_MODEL_DIR: "/nonexistent",
      MALLOC_MMAP_THRESHOLD_: undefined,
    });
    try {
      // The engine's process started itself again with the malloc settings (lib/platform/runtime/allocator.ts).
      if (process.platform === "linux") expect(readFileSync(`/proc/${child.pid}/environ`, "utf8").split("\0")).toContain("MALLOC_MMAP_THRESHOLD_=131072");
      expect(banner).toContain(`  model     ${path.basename(modelDir)} (${modelDir})\n`);
      expect(banner).toContain("  auth      on (HTTP Basic, 1 user)\n");
      expect((await fetch(`${url}/sdapi/v1/options`)).status).toBe(401);
      const authorized = await fetch(`${url}/sdapi/v1/options`, { headers: { authorization: `Basic ${Buffer.from("ann:secret").toString("base64")}` } });
      expect(authorized.status).toBe(200);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });

  it("CI=true: a loud multi-line warning that txt2img and img2img answer with fake images", async () => {
    const { child, banner } = await startServing([process.execPath, SERVER_MAIN], { PORT: "0", CI: "true", SERENA_BACKEND: "none" });
    await stop(child);
    const text = lines(banner);
    expect(text).toContain("  CI fake   ON");
    const warning = text.filter((l) => l.startsWith("!!"));
    expect(warning.length).toBeGreaterThanOrEqual(4);
    expect(warning.join("\n")).toMatch(/CI=true: THE CI FAKE IS ON\.[\s\S]*txt2img and img2img answer with FAKE placeholder images/);
  });
});
