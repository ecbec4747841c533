/**
 * `serena` as a command line: help on every level, and a usage error (unknown command or option, missing argument)
 * as one line on stderr with exit code 2, the usage-error code of POSIX utilities and Python's argparse.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../../lib/platform/cli/main.ts";
import { lines, REPO_ROOT, run, SERENA_BIN } from "./cli-process.ts";

const COMMAND_NAMES = ["serve", "txt2img", "img2img", "models", "png-info", "bench"];

describe("serena --help", () => {
  it("lists every command with its summary and exits 0", async () => {
    const result = await run(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: serena <command> \[options\]/);
    for (const name of COMMAND_NAMES) expect(result.stdout).toMatch(new RegExp(`^  ${name} +\\S`, "m"));
    expect(result.stderr).toBe("");
  });

  it("is what `serena` alone prints, on stderr with exit code 2", async () => {
    const [bare, help] = await Promise.all([run([]), run(["-h"])]);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe("");
    expect(bare.stderr).toBe(help.stdout);
  });
});

describe.concurrent("serena <command> --help", () => {
  it.each(COMMAND_NAMES)("%s: usage and every option, exit 0", async (name) => {
    const result = await run([name, "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: serena ${name} `));
    const command = COMMANDS.find((c) => c.name === name)!;
    for (const option of command.options) expect(result.stdout).toContain(`--${option.name}`);
  });

  it("txt2img's names the flags of the brief: prompt, negative, seed, steps, cfg, size, sampler, scheduler, counts, out, model folder", async () => {
    const { stdout } = await run(["txt2img", "-h"]);
    for (const flag of ["--negative", "--seed", "--steps", "--cfg", "--size WxH", "--sampler", "--scheduler", "-n, --batch-count", "--batch-size", "-o, --out DIR", "--model-dir DIR"]) {
      expect(stdout).toContain(flag);
    }
  });

  it("serve's names the variable each flag sets", async () => {
    const { stdout } = await run(["serve", "--help"]);
    for (const [flag, variable] of [
      ["--host", "HOST"],
      ["--port", "PORT"],
      ["--model-dir", "SERENA_MODEL_DIR"],
      ["--models-root", "SERENA_MODELS_ROOT"],
      ["--backend", "SERENA_BACKEND"],
      ["--auth", "SERENA_API_AUTH"],
      ["--threads", "SERENA_ORT_THREADS"],
    ]) {
      // The help wraps long lines: the variable may be on the next one.
      expect(stdout).toMatch(new RegExp(`${flag} [^\\n]*(\\n {20,}[^\\n]*)?\\(${variable}\\)`));
    }
  });
});

describe.concurrent("usage errors", () => {
  it.each([
    [["frobnicate"], "serena: unknown command 'frobnicate'"],
    [["--frob"], "serena: unknown option '--frob'"],
    [["txt2img", "a fox", "--frob"], "serena txt2img: unknown option '--frob'"],
    [["txt2img"], 'serena txt2img: missing argument: "PROMPT"'],
    [["txt2img", "a", "fox"], "serena txt2img: unexpected extra argument 'fox'"],
    [["txt2img", "a fox", "--steps"], "serena txt2img: option '--steps' needs a value"],
    [["txt2img", "a fox", "--set", "nofield"], "serena txt2img: --set needs FIELD=VALUE"],
    [["img2img", "a fox"], "serena img2img: img2img needs --init FILE"],
    [["models", "extra"], "serena models: unexpected argument 'extra'"],
    [["serve", "--port", "http"], "serena serve: invalid configuration: --port (PORT):"],
  ])("%j: one line on stderr, exit code 2", async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr.startsWith(message)).toBe(true);
  });

  it("takes a negative number as an option's value (--seed -1), as the user meant", async () => {
    // --backend none: the request is validated and refused by the backend, so no model loads.
    const result = await run(["txt2img", "a fox", "--seed", "-1", "--steps", "-5", "--backend", "none"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("steps: ensure this value is greater than or equal to 1");
  });
});

describe("the bin entry", () => {
  it("is package.json's bin, so `npx serena` runs it", async () => {
    const result = await run(["serena", "--version"], { command: ["npx", "--no-install"], env: { npm_config_loglevel: "error" } });
    expect(result.code).toBe(0);
    const { version } = JSON.parse(execFileSync(process.execPath, ["-p", `JSON.stringify(require(${JSON.stringify(`${REPO_ROOT}package.json`)}))`]).toString()) as { version: string };
    expect(result.stdout.trim()).toBe(version);
  });

  // The machine's own Node (Debian's, older than 24) runs the shim, which hands over to the project's Node 24.
  const systemNode = "/usr/bin/node";
  const systemMajor = existsSync(systemNode) ? Number(execFileSync(systemNode, ["-p", "process.versions.node.split('.')[0]"]).toString()) : 0;
  it.skipIf(systemMajor === 0 || systemMajor >= 24)(`runs under an older Node (${systemNode}, major ${systemMajor}) through the project's Node 24`, async () => {
    const result = await run(["txt2img", "x", "--steps", "151", "--backend", "none"], { command: [systemNode, SERENA_BIN] });
    expect(result.stderr).not.toMatch(/SyntaxError|ERR_UNKNOWN_FILE_EXTENSION/);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("steps: ensure this value is less than or equal to 150");
  });
});
