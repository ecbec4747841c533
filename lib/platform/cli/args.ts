/**
 * Command-line parsing for `serena`: each command declares its options once, and that declaration drives Node's
 * `util.parseArgs` (strict: an unknown option is an error) and the command's `--help` text. A command line that
 * cannot be parsed is a `UsageError` (exit code 2, as POSIX utilities and Python's argparse use for usage errors).
 */
import { parseArgs } from "node:util";

export interface OptionSpec {
  readonly name: string;
  readonly short?: string;
  /** Boolean options take no value. */
  readonly type: "string" | "boolean";
  readonly multiple?: boolean;
  /** The value's placeholder in the help text (N, DIR, TEXT, …). */
  readonly value?: string;
  readonly help: string;
}

export interface ParsedArgs {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

export interface Io {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly env: NodeJS.ProcessEnv;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** What follows the command name in the usage line, e.g. `"PROMPT" [options]`. */
  readonly usage: string;
  /** Extra paragraphs at the end of `--help`. */
  readonly details?: string;
  readonly options: readonly OptionSpec[];
  readonly positionals: { readonly min: number; readonly max: number };
  /** Resolves with the exit code; a long-running command (serve) resolves once it is up. */
  run(args: ParsedArgs, io: Io): Promise<number>;
}

export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The command cannot do its work for a reason the user can fix (a file that cannot be read): exit code 1. */
export class CommandError extends Error {
  override readonly name = "CommandError";
}

export const HELP_OPTION: OptionSpec = { name: "help", short: "h", type: "boolean", help: "show this help and exit" };

/** The string value of an option, or undefined (parseArgs gives the last value when a single option repeats). */
export const stringValue = (args: ParsedArgs, name: string) => {
  const value = args.values[name];
  return typeof value === "string" ? value : undefined;
};

export const stringValues = (args: ParsedArgs, name: string): string[] => {
  const value = args.values[name];
  return Array.isArray(value) ? value : typeof value === "string" ? [value] : [];
};

/**
 * `--seed -1` reads as two options to parseArgs (it refuses a value that starts with "-"); a negative number after
 * an option that takes a value is joined to it (`--seed=-1`), which is what the user meant.
 */
function joinNegativeNumbers(argv: readonly string[], options: readonly OptionSpec[]): string[] {
  const takesValue = new Set(options.filter((o) => o.type === "string").flatMap((o) => [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])]));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (arg === "--") {
      out.push(...argv.slice(i));
      break;
    }
    if (takesValue.has(arg) && next !== undefined && /^-\d/.test(next)) {
      out.push(arg.startsWith("--") ? `${arg}=${next}` : `${arg}${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** Parses `argv` (after the command name) against the command's options; `--help` needs no positionals. */
export function parseCommand(command: Command, argv: readonly string[]): ParsedArgs & { help: boolean } {
  const specs = [...command.options, HELP_OPTION];
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const o of specs) options[o.name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeNumbers(argv, specs), options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(parseArgsMessage(error as Error & { code?: string }));
  }
  const values = parsed.values as ParsedArgs["values"];
  if (values.help === true) return { values, positionals: parsed.positionals, help: true };
  const count = parsed.positionals.length;
  const { min, max } = command.positionals;
  if (count < min) throw new UsageError(`missing argument: ${command.usage.split(" [")[0]}`);
  if (count > max) {
    const extra = parsed.positionals[max]!;
    throw new UsageError(max === 0 ? `unexpected argument '${extra}'` : `unexpected extra argument '${extra}' (quote a prompt with spaces)`);
  }
  return { values, positionals: parsed.positionals, help: false };
}

/** parseArgs' errors, shortened to what the user needs. */
function parseArgsMessage(error: Error & { code?: string }): string {
  const option = /'([^']+)'/.exec(error.message)?.[1];
  switch (error.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option '${option}'`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (/argument missing/.test(error.message)) return `option '${option?.replace(/ <value>$/, "")}' needs a value`;
      if (/does not take an argument/.test(error.message)) return `option '${option}' takes no value`;
      return error.message.split(". ")[0]!;
    default:
      return error.message;
  }
}

const optionLabel = (o: OptionSpec) => `${o.short ? `-${o.short}, ` : "    "}--${o.name}${o.type === "string" ? ` ${o.value ?? "VALUE"}` : ""}`;

/** A two-column list, the second column aligned and wrapped at 100 characters. */
export function columns(rows: readonly (readonly [string, string])[], indent = 2): string[] {
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  const lines: string[] = [];
  for (const [left, right] of rows) {
    const words = right.split(" ");
    let line = `${" ".repeat(indent)}${left.padEnd(width)}`;
    const start = line.length;
    let filled = false;
    for (const word of words) {
      if (filled && line.length + word.length + 1 > 100) {
        lines.push(line);
        line = " ".repeat(start);
        filled = false;
      }
      line += `${filled ? " " : ""}${word}`;
      filled = true;
    }
    lines.push(line);
  }
  return lines;
}

/** Paragraphs (separated by blank lines) wrapped at `width` characters. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const [i, paragraph] of text.split(/\n\s*\n/).entries()) {
    if (i > 0) lines.push("");
    let line = "";
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line && line.length + word.length + 1 > width) {
        lines.push(line);
        line = "";
      }
      line += `${line ? " " : ""}${word}`;
    }
    if (line) lines.push(line);
  }
  return lines;
}

export function commandHelp(command: Command): string {
  const lines = [
    `Usage: serena ${command.name} ${command.usage}`,
    "",
    command.summary,
    "",
    "Options:",
    ...columns([...command.options, HELP_OPTION].map((o) => [optionLabel(o), o.help] as const)),
  ];
  if (command.details) lines.push("", ...wrap(command.details, 100));
  return lines.join("\n") + "\n";
}
