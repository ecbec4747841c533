/**
 * `serena txt2img` and `serena img2img`: the flags become an A1111 request body, which goes through the API in this
 * process (in-process.ts): the same validation, engine path and errors as POST /sdapi/v1/txt2img. Values are passed
 * as the user typed them and the API's lax coercion reads them, so a bad value gets the API's own 422 message.
 * Images are written as A1111 names them (image-files.ts), one path per line on stdout.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { ciFakeWarning } from "../../server/startup.ts";
import { CommandError, stringValue, stringValues, UsageError, type Command, type Io, type OptionSpec, type ParsedArgs } from "../args.ts";
import { writeImages } from "../image-files.ts";
import { commandConfig, MODEL_FLAGS } from "../settings.ts";

/** A flag that sets one field of the request body. */
interface FieldFlag extends OptionSpec {
  readonly field: string;
}

const field = (name: string, requestField: string, value: string, help: string, short?: string): FieldFlag => ({
  name,
  field: requestField,
  type: "string",
  value,
  help,
  ...(short ? { short } : {}),
});

export const COMMON_FIELDS: readonly FieldFlag[] = [
  field("negative", "negative_prompt", "TEXT", "negative prompt"),
  field("seed", "seed", "N", "seed, -1 for a random one (API default -1)"),
  field("steps", "steps", "N", "sampling steps (API default 50)"),
  field("cfg", "cfg_scale", "X", "CFG scale (API default 7)"),
  field("sampler", "sampler_name", "NAME", 'sampler, e.g. "Euler a", "DPM++ 2M" (serena lists them at /sdapi/v1/samplers)'),
  field("scheduler", "scheduler", "NAME", 'schedule type, e.g. "Karras" (default: the sampler\'s own)'),
  field("batch-count", "n_iter", "N", "batches, one after another (n_iter, API default 1)", "n"),
  field("batch-size", "batch_size", "N", "images per batch (API default 1)"),
];

const SIZE: OptionSpec = { name: "size", type: "string", value: "WxH", help: "image size, e.g. 512x512 or 768x512 (API default 512x512)" };
const OUT: OptionSpec = { name: "out", short: "o", type: "string", value: "DIR", help: "folder for the images (default: outputs)" };
const MODEL: OptionSpec = { name: "model", type: "string", value: "NAME", help: "checkpoint to use, as `serena models` lists it (override_settings.sd_model_checkpoint)" };
const SET: OptionSpec = {
  name: "set",
  type: "string",
  multiple: true,
  value: "FIELD=VALUE",
  help: "any other request field, VALUE as JSON or else as text; repeatable (e.g. --set enable_hr=true --set hr_scale=2)",
};
const INIT: OptionSpec = { name: "init", type: "string", multiple: true, value: "FILE", help: "init image (PNG, JPEG, WebP, …); repeat for several (required)" };
const DENOISE: OptionSpec = { name: "denoise", type: "string", value: "X", help: "denoising strength, 0 to 1 (API default 0.75)" };

/** "512x512" (or "512" for a square) as width and height; the numbers themselves are the API's to check. */
function parseSize(text: string): { width: string; height: string } {
  const match = /^(\S+?)(?:[x×](\S+))?$/i.exec(text.trim());
  if (!match) throw new UsageError(`--size must look like WIDTHxHEIGHT (e.g. 512x768), not '${text}'`);
  return { width: match[1]!, height: match[2] ?? match[1]! };
}

function parseSet(entry: string): [string, unknown] {
  const at = entry.indexOf("=");
  if (at <= 0) throw new UsageError(`--set needs FIELD=VALUE, not '${entry}'`);
  const raw = entry.slice(at + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // Not JSON: the text itself (a sampler name, a prompt).
  }
  return [entry.slice(0, at), value];
}

/** The request body: the prompt, each field flag given, the size, the checkpoint, then --set entries over them. */
export function requestBody(args: ParsedArgs, fields: readonly FieldFlag[]): Record<string, unknown> {
  const body: Record<string, unknown> = { prompt: args.positionals[0] ?? "" };
  for (const f of fields) {
    const value = stringValue(args, f.name);
    if (value !== undefined) body[f.field] = value;
  }
  const size = stringValue(args, "size");
  if (size !== undefined) Object.assign(body, parseSize(size));
  const model = stringValue(args, "model");
  if (model !== undefined) body.override_settings = { sd_model_checkpoint: model };
  for (const entry of stringValues(args, "set")) {
    const [key, value] = parseSet(entry);
    body[key] = value;
  }
  return body;
}

async function initImages(files: string[]): Promise<string[]> {
  return Promise.all(
    files.map(async (file) => {
      try {
        return (await readFile(file)).toString("base64");
      } catch (error) {
        throw new CommandError(`--init ${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
      }
    }),
  );
}

/** A path under the working folder relative to it, any other absolute. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : file;
}

const GENERATION_DETAILS = `Defaults are the API's (docs/api.md). The model is the configured one: --model-dir, --models-root or their variables; with
none, the generated tiny test model (its images are noise). Images go to --out as NNNNN-SEED.png with their infotext;
their paths are printed, one per line. A progress bar shows on a terminal; Ctrl-C once stops after the current step
and saves what exists, twice quits. Exit codes: 0 done, 1 refused or failed (the API's message), 2 bad command line.`;

function generationCommand(type: "txt2img" | "img2img"): Command {
  const fields = type === "img2img" ? [...COMMON_FIELDS, field("denoise", "denoising_strength", DENOISE.value!, DENOISE.help)] : COMMON_FIELDS;
  const options = [...fields, SIZE, MODEL, SET, OUT, ...(type === "img2img" ? [INIT] : []), ...MODEL_FLAGS];
  // Messages name the flag the user typed for a request field.
  const flagOf = new Map(fields.map((f) => [f.field, `--${f.name}`]));
  flagOf.set("width", "--size");
  flagOf.set("height", "--size");
  flagOf.set("override_settings.sd_model_checkpoint", "--model");
  const fieldLabel = (name: string) => (flagOf.has(name) && flagOf.get(name) !== `--${name}` ? `${name} (${flagOf.get(name)})` : name);
  return {
    name: type,
    summary:
      type === "txt2img"
        ? "Generate images from a prompt, as POST /sdapi/v1/txt2img does, and write them to files."
        : "Generate images from a prompt and init images, as POST /sdapi/v1/img2img does, and write them to files.",
    usage: type === "txt2img" ? '"PROMPT" [options]' : '"PROMPT" --init FILE [options]',
    details: GENERATION_DETAILS,
    options,
    positionals: { min: 1, max: 1 },
    async run(args: ParsedArgs, io: Io): Promise<number> {
      const body = requestBody(args, fields);
      if (type === "img2img") {
        const files = stringValues(args, "init");
        if (files.length === 0) throw new UsageError("img2img needs --init FILE");
        body.init_images = await initImages(files);
      }
      // The API and the engine are loaded only to run a command, so that help and usage errors answer at once.
      const [{ checkCommandModels, commandEnv, withApi }, { errorMessage }, { progressView }] = await Promise.all([
        import("../api-session.ts"),
        import("../in-process.ts"),
        import("../progress.ts"),
      ]);
      const { config, label } = commandConfig(args, options, commandEnv(io.env));
      await checkCommandModels(config, label, io.stderr);
      if (config.ciFake) io.stderr.write(ciFakeWarning("this command answers").join("\n") + "\n");
      const outDir = path.resolve(stringValue(args, "out") ?? "outputs");
      const started = performance.now();
      const reply = await withApi(config, progressView(io.stderr), async ({ api, services }) => {
        // Ctrl-C: the first asks the engine to stop after this step (A1111's interrupt), the second quits.
        let interrupts = 0;
        const onSigint = () => {
          if (++interrupts > 1) process.exit(130);
          io.stderr.write("\ninterrupting after the current step; Ctrl-C again to quit\n");
          void services.progress.interrupt();
        };
        process.on("SIGINT", onSigint);
        try {
          return await api.request("POST", `/sdapi/v1/${type}`, body);
        } finally {
          process.off("SIGINT", onSigint);
        }
      });
      if (reply.status !== 200) {
        io.stderr.write(`serena ${type}: ${errorMessage(reply, fieldLabel)} (HTTP ${reply.status})\n`);
        return 1;
      }
      const response = reply.body as { images?: string[]; info?: string; image_urls?: string[] };
      const info = JSON.parse(response.info ?? "{}") as { all_seeds?: number[] };
      const images = (response.images ?? []).map((b64) => Buffer.from(b64, "base64"));
      const written = await writeImages(outDir, images, info.all_seeds ?? []);
      for (const file of written) io.stdout.write(`${displayPath(file)}\n`);
      // Stored in the bucket instead (SERENA_BUCKET with save_images, or past SERENA_MAX_RESPONSE_BYTES).
      if (images.length === 0) for (const url of response.image_urls ?? []) io.stdout.write(`${url}\n`);
      if (io.stderr.isTTY) {
        const seconds = (performance.now() - started) / 1000;
        io.stderr.write(`${written.length} image${written.length === 1 ? "" : "s"} in ${seconds.toFixed(1)} s\n`);
      }
      return 0;
    },
  };
}

export const txt2imgCommand = generationCommand("txt2img");
export const img2imgCommand = generationCommand("img2img");
