import { createHash, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { folderConfigs, tokenizerFolders, tokenizerJson } from "./folder-configs.ts";
import { buildTextEncoder, textEncoderShapes } from "./text-encoder-graph.ts";
import { buildUnet } from "./unet-graph.ts";
import { tinyModelSpec } from "./variants.ts";
import type { TinyModelVariant } from "./variants.ts";
import { buildVaeDecoder, buildVaeEncoder } from "./vae-graphs.ts";
import { tinyVaeWeights } from "./vae-weights.ts";

/**
 * Where the real CLIP tokenizer files (vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json) are
 * read from: the repository's assets folder (openai/clip-vit-large-patch14's tokenizer, see assets/clip-tokenizer).
 */
export const CLIP_TOKENIZER_SOURCES: readonly string[] = [join(import.meta.dirname, "../../../assets/clip-tokenizer")];

export const DEFAULT_TINY_MODEL_SEED = 20240229;

export interface TinyModelOptions {
  /** Seed of every weight; the same seed and variant give byte-identical files. */
  readonly seed?: number;
  /** Folder with the CLIP tokenizer files; defaults to the first of CLIP_TOKENIZER_SOURCES that exists. */
  readonly tokenizerDir?: string;
}

function defaultTokenizerDir(): string {
  const found = CLIP_TOKENIZER_SOURCES.find((dir) => existsSync(join(dir, "vocab.json")));
  if (found === undefined) throw new Error(`CLIP tokenizer files not found in ${CLIP_TOKENIZER_SOURCES.join(" or ")}`);
  return found;
}

async function writeTokenizer(dir: string, sourceDir: string, padToken: string): Promise<void> {
  await Promise.all([
    copyFile(join(sourceDir, "vocab.json"), join(dir, "vocab.json")),
    copyFile(join(sourceDir, "merges.txt"), join(dir, "merges.txt")),
    ...["tokenizer_config.json", "special_tokens_map.json"].map(async (name) => {
      const source = JSON.parse(await readFile(join(sourceDir, name), "utf8")) as Record<string, unknown>;
      await writeFile(join(dir, name), `${JSON.stringify(tokenizerJson(source, padToken), null, 2)}\n`);
    }),
  ]);
}

/**
 * Writes a complete tiny SD model folder for `variant` into `dir` (created if needed): model_index.json, scheduler,
 * tokenizer, text_encoder, unet (+ external data), vae_decoder, vae_encoder and the exporter's config.json files;
 * SDXL variants add text_encoder_2 and tokenizer_2 (refiners have those alone).
 */
export async function writeTinyModel(dir: string, variant: TinyModelVariant, options: TinyModelOptions = {}): Promise<void> {
  const spec = tinyModelSpec(variant);
  const seed = options.seed ?? DEFAULT_TINY_MODEL_SEED;
  const vae = tinyVaeWeights(seed);
  const unet = buildUnet(spec, seed);
  const files = new Map<string, Uint8Array | string>([
    ...textEncoderShapes(spec).map((shape): [string, Uint8Array] => [`${shape.component}/model.onnx`, buildTextEncoder(spec, seed, shape).model]),
    ["unet/model.onnx", unet.model],
    ["vae_decoder/model.onnx", buildVaeDecoder(spec, vae).model],
    ["vae_encoder/model.onnx", buildVaeEncoder(spec, vae).model],
  ]);
  if (spec.unetExternalData !== null && unet.externalData !== null) {
    files.set(`unet/${spec.unetExternalData}`, unet.externalData);
  }
  for (const [path, config] of Object.entries(folderConfigs(spec))) {
    files.set(path, `${JSON.stringify(config, null, 2)}\n`);
  }

  const folders = new Set([...files.keys()].map((path) => join(dir, dirname(path))));
  const tokenizers = tokenizerFolders(spec);
  for (const [name] of tokenizers) folders.add(join(dir, name));
  await Promise.all([...folders].map((folder) => mkdir(folder, { recursive: true })));
  await Promise.all([
    ...[...files].map(([path, data]) => writeFile(join(dir, path), data)),
    ...tokenizers.map(([name, pad]) => writeTokenizer(join(dir, name), options.tokenizerDir ?? defaultTokenizerDir(), pad)),
  ]);
}

/** A digest of the generator's own sources: a cache written by an older generator is never reused. */
async function generatorVersion(): Promise<string> {
  const hash = createHash("sha256");
  const names = (await readdir(import.meta.dirname)).filter((name) => name.endsWith(".ts")).sort();
  for (const name of names) hash.update(name).update(await readFile(join(import.meta.dirname, name)));
  return hash.digest("hex").slice(0, 12);
}

function isAlreadyThere(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "EEXIST" || code === "ENOTEMPTY";
}

/**
 * Returns `<cacheDir>/tiny-<generator digest>/<variant>`, generating it the first time. The model is written to a
 * temporary sibling folder and renamed into place, so a crash never leaves a half-written model behind and
 * concurrent callers (other test workers) simply keep whichever copy landed first.
 */
export async function ensureTinyModel(cacheDir: string, variant: TinyModelVariant): Promise<string> {
  const parent = join(cacheDir, `tiny-${await generatorVersion()}`);
  const target = join(parent, variant);
  if (existsSync(join(target, "model_index.json"))) return target;

  await mkdir(parent, { recursive: true });
  const staging = join(parent, `.${variant}.${process.pid}.${randomUUID()}`);
  try {
    await writeTinyModel(staging, variant);
    await rename(staging, target);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    if (!isAlreadyThere(error)) throw error;
  }
  return target;
}
