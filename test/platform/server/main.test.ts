/**
 * `npm start` (lib/platform/server/main.ts) as a user runs it: a child process that logs where it listens, answers, and exits
 * cleanly on SIGTERM; on Linux it runs with the malloc settings (lib/platform/runtime/allocator.ts) in the same process.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MALLOC_SETTINGS } from "../../../lib/platform/runtime/allocator.ts";

const MAIN = fileURLToPath(new URL("../../../lib/platform/server/main.ts", import.meta.url));

/** `npm start` with `env` over this environment (less the malloc variables); resolves with its URL once it listens. */
async function start(env: Record<string, string>): Promise<{ child: ChildProcessWithoutNullStreams; url: string }> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !(name in MALLOC_SETTINGS)));
  const child = spawn(process.execPath, [MAIN], {
    env: { ...inherited, PORT: "0", HOST: "127.0.0.1", CI: "true", SERENA_BACKEND: "none", SERENA_LOG_LEVEL: "info", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const line = output.split("\n").find((l) => l.includes('"serena listening"'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code}: ${output}`)));
  });
  return { child, url };
}

async function stop(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const [code] = (await exited) as [number | null];
  return code;
}

/** The environment the process with this id runs with now (after any execve). */
function environOf(pid: number): Map<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
  return new Map(entries.map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]));
}

describe("npm start", () => {
  it("listens where it logs, serves the API and exits 0 on SIGTERM", async () => {
    const { child, url } = await start({});
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const reply = await fetch(`${url}/sdapi/v1/txt2img`, { method: "POST", body: JSON.stringify({ seed: 1, width: 64, height: 64 }) });
      expect(reply.status).toBe(200);
      expect(reply.headers.get("x-serena-fake-inference")).toMatch(/^true/);
      expect(await stop(child)).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it.runIf(process.platform === "linux").each<{ case: string; env: Record<string, string>; expected: Record<string, string | undefined> }>([
    {
      case: "runs with the malloc settings in the process it was started as, keeping values it was given",
      env: { MALLOC_ARENA_MAX: "4" },
      expected: { MALLOC_MMAP_THRESHOLD_: MALLOC_SETTINGS["MALLOC_MMAP_THRESHOLD_"], MALLOC_ARENA_MAX: "4", GLIBC_TUNABLES: MALLOC_SETTINGS["GLIBC_TUNABLES"] },
    },
    {
      case: "leaves the allocator alone with SERENA_MALLOC_TUNING=0",
      env: { SERENA_MALLOC_TUNING: "0" },
      expected: { MALLOC_MMAP_THRESHOLD_: undefined, MALLOC_ARENA_MAX: undefined, GLIBC_TUNABLES: undefined },
    },
  ])("$case", async ({ env, expected }) => {
    const { child } = await start(env);
    try {
      const environ = environOf(child.pid!);
      for (const [name, value] of Object.entries(expected)) expect(environ.get(name), name).toBe(value);
      expect(await stop(child)).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
