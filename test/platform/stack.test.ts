/**
 * `npm run stack` (scripts/stack.ts) as a user runs it: a child process that starts the S3 server, uploads the tiny
 * model, starts the worker and the API on free ports of 127.0.0.1 and prints where they are. Through it: the
 * uploaded model is listed and selected by its name, a txt2img runs on the real (tiny) engine in the worker with the
 * client's request id in the worker's log, an async job ends with an image fetched from the S3 server; SIGTERM
 * stops everything (exit 0, every port closed, the env file gone), and so does the end of its parent process; a
 * taken --port is refused.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GenerationResponse } from "../../lib/a1111/schemas/generation-response.ts";
import { JobCreated, JobView } from "../../lib/a1111/schemas/jobs.ts";
import { TEST_CACHE_DIR } from "../fixtures/engine.ts";

const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface Stack {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  envFile: string;
}

/**
 * `node scripts/stack.ts`, with the test cache (the tiny model is made there once) and nothing else inherited; with
 * `underShell`, as `npm run` starts it: a shell that waits for it.
 */
async function startStack(args: string[] = [], underShell = false): Promise<Stack> {
  const envFile = path.join(await mkdtemp(path.join(os.tmpdir(), "serena-stack-")), "stack.env");
  const argv = ["scripts/stack.ts", "--write-env", envFile, ...args];
  const [command, commandArgs] = underShell ? ["sh", ["-c", `"$0" "$@"; true`, process.execPath, ...argv]] : [process.execPath, argv];
  const child = spawn(command as string, commandArgs as string[], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", SERENA_CACHE_DIR: TEST_CACHE_DIR, SERENA_LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited, envFile };
}

/** Resolves with the printed client environment once the stack says it is up. */
async function ready(stack: Stack): Promise<Record<string, string>> {
  const giveUp = Date.now() + 90_000;
  while (!/Client environment/.test(stack.output()) || !/SERENA_WORKER_TOKEN=\w+/.test(stack.output())) {
    if (stack.child.exitCode !== null) throw new Error(`the stack exited with ${stack.child.exitCode}:\n${stack.output()}`);
    if (Date.now() > giveUp) throw new Error(`the stack did not come up:\n${stack.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const env: Record<string, string> = {};
  for (const [, name, value] of stack.output().matchAll(/\b([A-Z][A-Z0-9_]+)=(\S+)/g)) env[name!] = value!;
  return env;
}

const logLines = (stack: Stack) =>
  stack
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

function refusesConnections(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let stack: Stack;
let env: Record<string, string>;
beforeAll(async () => {
  stack = await startStack();
  env = await ready(stack);
}, 120_000);
afterAll(async () => {
  if (stack.child.exitCode === null && stack.child.signalCode === null) {
    stack.child.kill("SIGKILL");
    await stack.exited;
  }
});

describe("npm run stack", () => {
  it("prints the API, worker and S3 addresses, all on 127.0.0.1, and writes them to the env file", () => {
    for (const name of ["SERENA_API_URL", "SERENA_WORKER_URL", "SERENA_S3_ENDPOINT"]) expect(new URL(env[name]!).hostname).toBe("127.0.0.1");
    expect(new Set([env.SERENA_API_URL, env.SERENA_WORKER_URL, env.SERENA_S3_ENDPOINT].map((u) => new URL(u!).port)).size).toBe(3);
    expect(env.SERENA_BUCKET).toBe("serena-local");
    expect(existsSync(stack.envFile)).toBe(true);
  });

  it("lists the uploaded model under the name it was uploaded as, which sd_model_checkpoint accepts", async () => {
    const models = (await (await fetch(`${env.SERENA_API_URL}/sdapi/v1/sd-models`)).json()) as { model_name: string }[];
    expect(models.map((m) => m.model_name)).toEqual(["sd1-diffusers"]);
    const set = await fetch(`${env.SERENA_API_URL}/sdapi/v1/options`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sd_model_checkpoint: "sd1-diffusers" }),
    });
    expect(set.status).toBe(200);
  });

  it("runs a txt2img on the worker's engine, the client's request id in the worker's log", async () => {
    const res = await fetch(`${env.SERENA_API_URL}/sdapi/v1/txt2img`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "stack-test-1" },
      body: JSON.stringify({ prompt: "a red fox", seed: 7, steps: 3, width: 64, height: 64, override_settings: { sd_model_checkpoint: "sd1-diffusers" } }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("stack-test-1");
    const { images } = GenerationResponse.parse(await res.json());
    expect(Buffer.from(images[0]!, "base64").subarray(0, 8)).toEqual(PNG_SIGNATURE);
    const worker = logLines(stack).filter((l) => l.component === "worker" && l.requestId === "stack-test-1").map((l) => l.message);
    expect(worker).toEqual(expect.arrayContaining(["invocation started", "invocation finished"]));
  });

  it("runs an async job to the end; its image comes from the S3 server", async () => {
    const submitted = await fetch(`${env.SERENA_API_URL}/serena/v1/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ type: "txt2img", request: { prompt: "a lighthouse", seed: 3, steps: 3, width: 64, height: 64 } }),
    });
    expect(submitted.status).toBe(202);
    const { id } = JobCreated.parse(await submitted.json());
    let job: JobView;
    for (let i = 0; ; i++) {
      job = JobView.parse(await (await fetch(`${env.SERENA_API_URL}/serena/v1/jobs/${id}`)).json());
      if (!["queued", "running"].includes(job.status) || i > 300) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(job.status).toBe("succeeded");
    const [url] = job.result!.image_urls;
    expect(new URL(url!).origin).toBe(new URL(env.SERENA_S3_ENDPOINT!).origin);
    const image = await fetch(url!);
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await image.arrayBuffer()).subarray(0, 8)).toEqual(PNG_SIGNATURE);
  });

  it("stops on SIGTERM: exit 0, every port closed, the env file removed", async () => {
    stack.child.kill("SIGTERM");
    expect(await stack.exited).toBe(0);
    for (const name of ["SERENA_API_URL", "SERENA_WORKER_URL", "SERENA_S3_ENDPOINT"]) expect(await refusesConnections(env[name]!)).toBe(true);
    expect(existsSync(stack.envFile)).toBe(false);
  });
});

describe("a stack whose parent goes away (npm run killed)", () => {
  it("stops too, instead of staying behind", async () => {
    const orphaned = await startStack([], true);
    const urls = await ready(orphaned);
    // The stack's own pid, from the env file's first line, to clean up should it stay behind.
    const pid = Number(/\(pid (\d+)\)/.exec(await readFile(orphaned.envFile, "utf8"))?.[1]);
    try {
      orphaned.child.kill("SIGKILL");
      const giveUp = Date.now() + 10_000;
      while (!(await refusesConnections(urls.SERENA_API_URL!)) && Date.now() < giveUp) await new Promise((r) => setTimeout(r, 200));
      for (const name of ["SERENA_API_URL", "SERENA_WORKER_URL", "SERENA_S3_ENDPOINT"]) expect(await refusesConnections(urls[name]!)).toBe(true);
    } finally {
      if (pid > 0 && isRunning(pid)) process.kill(pid, "SIGKILL");
    }
  }, 120_000);
});

describe("--port", () => {
  it("that is taken stops the stack with exit 1 and a message naming the port", async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const refused = await startStack(["--port", String(port)]);
      expect(await refused.exited).toBe(1);
      expect(refused.output()).toContain(`port ${port} is in use`);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  }, 120_000);
});
