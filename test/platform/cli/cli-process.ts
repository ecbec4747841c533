/**
 * The `serena` command as a user runs it: bin/serena.js in a child process with its own environment (never the test
 * runner's CI=true, which would switch on the CI fake), its exit code and output collected.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const SERENA_BIN = fileURLToPath(new URL("../../../bin/serena.js", import.meta.url));
export const SERVER_MAIN = fileURLToPath(new URL("../../../lib/platform/server/main.ts", import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The runner's environment without CI and the SERENA_* variables, plus `env`. */
export function childEnv(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (key !== "CI" && !key.startsWith("SERENA_") && key !== "PORT" && key !== "HOST") base[key] = value;
  const merged: Record<string, string | undefined> = { ...base, SERENA_LOG_LEVEL: "silent", ...env };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  return merged;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
  /** The program and its leading arguments; bin/serena.js under this test's Node by default. */
  command?: readonly string[];
}

export function run(args: readonly string[], options: RunOptions = {}): Promise<CliRun> {
  const [program, ...leading] = options.command ?? [process.execPath, SERENA_BIN];
  const child = spawn(program!, [...leading, ...args], { env: childEnv(options.env), cwd: options.cwd ?? REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 50_000);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** `serena …` on a pseudo-terminal (util-linux `script`), stdout and stderr both on it, as in an interactive shell. */
export function runOnTerminal(args: readonly string[], options: RunOptions = {}): Promise<CliRun> {
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const line = [process.execPath, SERENA_BIN, ...args].map(quote).join(" ");
  return run([], { ...options, command: ["script", "-qec", line, "/dev/null"] });
}

/** Lines of `text` without the empty last one. */
export const lines = (text: string) => (text === "" ? [] : text.replace(/\r?\n$/, "").split(/\r?\n/));

/** V8 stack frames ("    at fn (file:///x.ts:1:2)"). */
export const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;
