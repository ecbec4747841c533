/**
 * Writes an ONNX Stable Diffusion folder (optimum layout) with the real module structure and seeded random weights.
 *
 *   node scripts/make-model.ts --preset sd15-mid --dtype fp32 --out /tmp/sd15-mid
 *
 * See `--help`. The folder opens with loadModel (lib/engine/model/load-model.ts).
 */
import { existsSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildComponentGraph, componentsOf, DEFAULT_MODEL_SEED, isModelPreset, MODEL_PRESET_NAMES, MODEL_PRESETS, writeModel } from "../lib/engine/model-builder/index.ts";
import type { FloatType, LinearWeightLayout } from "../lib/engine/model-builder/index.ts";
import { TINY_INPAINTING_VARIANT, TINY_MODEL_VARIANTS, TINY_SDXL_VARIANTS, writeTinyModel } from "../lib/engine/tiny-model/index.ts";
import type { TinyModelVariant } from "../lib/engine/tiny-model/index.ts";

const HELP = `Usage: node scripts/make-model.ts --preset NAME --out DIR [options]
       node scripts/make-model.ts --tiny VARIANT --out DIR

Writes an ONNX Stable Diffusion folder (optimum layout: model_index.json, scheduler, tokenizer, text_encoder, unet,
vae_decoder, vae_encoder, each model.onnx + model.onnx_data + config.json; SDXL presets add text_encoder_2 and
tokenizer_2, refiners have no text_encoder) whose graphs have the real diffusers /
transformers module structure, parameter names and node names, with seeded random weights.

Options:
  --preset NAME          ${MODEL_PRESET_NAMES.join(" | ")}
  --out DIR              folder to create (must not exist or be empty)
  --dtype fp32|fp16      weights and IO type (default fp32)
  --linear-weights named|folded
                         Linear weights under their parameter names with a Transpose node (named), or transposed
                         under generated onnx::MatMul_N names as constant folding leaves them (folded, default)
  --hidden-states        text encoder also outputs hidden_states.0..N
  --no-vae-encoder       leave out vae_encoder (txt2img-only folder)
  --inpainting           an inpainting UNet: 9 input channels (latent, mask, masked-image latent)
  --tiny VARIANT         instead of a preset, the test suite's tiny model: ${[...TINY_MODEL_VARIANTS, TINY_INPAINTING_VARIANT, ...TINY_SDXL_VARIANTS].join(" | ")}
  --seed N               weight seed (default ${DEFAULT_MODEL_SEED})
  --count                print each component's parameter count and exit (nothing written)
  --help                 this text
`;

function fail(message: string): never {
  console.error(`${message}\n\n${HELP}`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    preset: { type: "string" },
    out: { type: "string" },
    dtype: { type: "string", default: "fp32" },
    "linear-weights": { type: "string", default: "folded" },
    "hidden-states": { type: "boolean", default: false },
    "no-vae-encoder": { type: "boolean", default: false },
    inpainting: { type: "boolean", default: false },
    tiny: { type: "string" },
    seed: { type: "string", default: String(DEFAULT_MODEL_SEED) },
    count: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
  strict: true,
});

if (values.help) {
  console.log(HELP);
  process.exit(0);
}
if (values.tiny !== undefined) {
  const variants: readonly string[] = [...TINY_MODEL_VARIANTS, TINY_INPAINTING_VARIANT, ...TINY_SDXL_VARIANTS];
  if (!variants.includes(values.tiny)) fail(`unknown tiny variant "${values.tiny}"`);
  const out = resolve(values.out ?? fail("--out is required"));
  if (existsSync(out) && readdirSync(out).length > 0) fail(`${out} exists and is not empty`);
  await writeTinyModel(out, values.tiny as TinyModelVariant);
  console.log(`tiny ${values.tiny} written to ${out}`);
  process.exit(0);
}
const preset = values.preset ?? fail("--preset is required");
if (!isModelPreset(preset)) fail(`unknown preset "${preset}"`);
const dtypes: Record<string, FloatType> = { fp32: "float32", fp16: "float16" };
const floatType = dtypes[values.dtype] ?? fail(`--dtype must be fp32 or fp16, not "${values.dtype}"`);
const layout = values["linear-weights"];
if (layout !== "named" && layout !== "folded") fail(`--linear-weights must be named or folded, not "${layout}"`);
const linearWeights: LinearWeightLayout = layout;
const seed = Number(values.seed);
if (!Number.isSafeInteger(seed)) fail(`--seed must be an integer, not "${values.seed}"`);
const config = values.inpainting ? { ...MODEL_PRESETS[preset], unet: { ...MODEL_PRESETS[preset].unet, in_channels: 9 } } : MODEL_PRESETS[preset];
const options = { floatType, linearWeights, textEncoderHiddenStates: values["hidden-states"], withoutVaeEncoder: values["no-vae-encoder"], seed };

if (values.count) {
  for (const component of componentsOf(config, options)) {
    console.log(`${component.padEnd(15)} ${buildComponentGraph(config, component, options).parameterCount().toLocaleString("en-US")}`);
  }
  process.exit(0);
}

const out = resolve(values.out ?? fail("--out is required"));
if (existsSync(out) && readdirSync(out).length > 0) fail(`${out} exists and is not empty`);

const started = performance.now();
let lastReport = 0;
await writeModel(out, config, {
  ...options,
  onProgress: ({ file, writtenBytes, totalBytes }) => {
    const now = performance.now();
    if (writtenBytes < totalBytes && now - lastReport < 2000) return;
    lastReport = now;
    console.log(`${file}: ${(writtenBytes / 2 ** 20).toFixed(0)} / ${(totalBytes / 2 ** 20).toFixed(0)} MiB`);
  },
});
console.log(`${preset} (${values.dtype}, ${linearWeights} linear weights) written to ${out} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
