/**
 * The `serena` command line (bin/serena.js runs this file): `serena <command> [options]`. Each command lives in
 * commands/ and declares its options once (args.ts); generation and listing commands call the API in this process
 * (in-process.ts), `serve` starts the local server as `npm start` does.
 *
 * Exit codes: 0 success; 1 the work failed or was refused (the API's message, a start-up problem); 2 the command line
 * is wrong (unknown command or option, missing argument, a flag's value refused by the configuration).
 */
import { readFileSync } from "node:fs";
import { oneLine, StartupError } from "../server/startup.ts";
import { columns, CommandError, commandHelp, parseCommand, UsageError, type Command, type Io } from "./args.ts";
import { benchCommand } from "./commands/bench.ts";
import { img2imgCommand, txt2imgCommand } from "./commands/generate.ts";
import { modelsCommand } from "./commands/models.ts";
import { pngInfoCommand } from "./commands/png-info.ts";
import { serveCommand } from "./commands/serve.ts";

export const COMMANDS: readonly Command[] = [serveCommand, txt2imgCommand, img2imgCommand, modelsCommand, pngInfoCommand, benchCommand];

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
  return manifest.version;
}

export function topHelp(): string {
  return [
    "Usage: serena <command> [options]",
    "",
    "Serena: an AUTOMATIC1111-compatible Stable Diffusion API, its server and its engine from the command line.",
    "",
    "Commands:",
    ...columns(COMMANDS.map((c) => [c.name, c.summary] as const)),
    "",
    "Options:",
    ...columns([
      ["-h, --help", "show this help (or a command's, after its name) and exit"],
      ["--version", "print Serena's version and exit"],
    ]),
    "",
    "Run `serena <command> --help` for a command's options. Configuration: docs/configuration.md.",
  ].join("\n") + "\n";
}

/** Runs the command line `argv` (without node and the script); resolves with the exit code. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(topHelp());
    return 2;
  }
  if (name === "-h" || name === "--help" || name === "help") {
    io.stdout.write(topHelp());
    return 0;
  }
  if (name === "--version") {
    io.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`serena: unknown ${name.startsWith("-") ? "option" : "command"} '${name}'; run \`serena --help\` for the commands\n`);
    return 2;
  }
  try {
    const args = parseCommand(command, rest);
    if (args.help) {
      io.stdout.write(commandHelp(command));
      return 0;
    }
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`serena ${command.name}: ${error.message}; run \`serena ${command.name} --help\`\n`);
      return 2;
    }
    if (error instanceof CommandError) {
      io.stderr.write(`serena ${command.name}: ${error.message}\n`);
      return 1;
    }
    if (error instanceof StartupError) {
      io.stderr.write(`serena ${command.name}: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}

/** The process's command line, with the process's streams and environment; sets the exit code. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  try {
    process.exitCode = await runCli(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env });
  } catch (error) {
    // A bug, not a user error: one line here; SERENA_LOG_LEVEL=debug prints the stack.
    process.stderr.write(`serena: ${oneLine((error as Error)?.message ?? String(error))}\n`);
    if (process.env.SERENA_LOG_LEVEL === "debug") process.stderr.write(`${(error as Error)?.stack ?? ""}\n`);
    process.exitCode = 1;
  }
}

if (import.meta.main) await main();
