/**
 * The CI fake inference backend (DESIGN.md §2): no model runs, but everything a client can check is true —
 * batch_size × n_iter PNGs at A1111's output size, seeds resolved and listed, infotexts embedded, parameters
 * echoed — and it says it is fake (model name, an infotext entry, and the `x-serena-fake-inference` header the
 * middleware sets). The same request gives the same bytes: pixels derive from the image's seed and prompt only.
 */
import { createHash } from "node:crypto";
import { generationInfo } from "../../a1111/generation/info.ts";
import { imageInfotext, type ModelIdentity } from "../../a1111/generation/infotext.ts";
import { planGeneration, type GenerationPlan } from "../../a1111/generation/plan.ts";
import { encodeImage } from "../../a1111/images/encode.ts";
import type { GenerationHooks, GenerationJob, GenerationOutput, InferenceBackend } from "./backend.ts";

export const FAKE_MODEL: ModelIdentity = { name: "serena-ci-fake", hash: null };
const FAKE_NOTE = { "CI fake": "placeholder image; no model ran" };

/** A smooth colour field with a seed-dependent hue and stripes: cheap, deterministic, and visibly not a photo. */
function fakePixels(plan: GenerationPlan, index: number): Buffer {
  const digest = createHash("sha256")
    .update(`${plan.seeds[index]}\0${plan.prompts[index]}\0${plan.negativePrompts[index]}`)
    .digest();
  const [w, h] = [plan.outputWidth, plan.outputHeight];
  const pixels = Buffer.alloc(w * h * 3);
  const [r0, g0, b0, fx, fy] = [digest[0]!, digest[1]!, digest[2]!, 1 + (digest[3]! % 7), 1 + (digest[4]! % 7)];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      const stripe = ((x * fx + y * fy) >> 4) & 1 ? 32 : 0;
      pixels[o] = (r0 + (x * 255) / w + stripe) & 255;
      pixels[o + 1] = (g0 + (y * 255) / h) & 255;
      pixels[o + 2] = (b0 + stripe * 2) & 255;
    }
  }
  return pixels;
}

/** Seeds for -1 drawn from the request itself, so that the fake stays deterministic. */
function seedDraws(job: GenerationJob): () => number {
  let counter = 0;
  const base = createHash("sha256").update(JSON.stringify(job.request)).digest();
  return () => (base.readUInt32BE((counter++ % 7) * 4) % 4294967294);
}

export function createFakeBackend(): InferenceBackend {
  return {
    name: "ci-fake",
    async generate(job: GenerationJob, hooks: GenerationHooks = {}): Promise<GenerationOutput> {
      // A fixed job timestamp and request-derived random seeds keep responses byte-identical across runs.
      const plan = planGeneration(job, { now: new Date(0), drawSeed: seedDraws(job) });
      const infotexts = plan.seeds.map((_, i) => imageInfotext(plan, i, FAKE_MODEL, FAKE_NOTE));
      const images: Buffer[] = [];
      for (let i = 0; i < plan.imageCount; i++) {
        hooks.onProgress?.({
          jobNo: Math.floor(i / plan.batchSize),
          jobCount: plan.nIter,
          samplingStep: job.request.steps,
          samplingSteps: job.request.steps,
        });
        images.push(
          await encodeImage(
            { data: fakePixels(plan, i), width: plan.outputWidth, height: plan.outputHeight, channels: 3 },
            {
              format: job.options.samples_format,
              quality: job.options.jpeg_quality,
              webpLossless: job.options.webp_lossless,
              text: job.options.enable_pnginfo ? { parameters: infotexts[i]! } : {},
            },
          ),
        );
      }
      return { images, info: generationInfo(plan, FAKE_MODEL, infotexts, FAKE_NOTE) };
    },
    async listModels() {
      return [{ title: FAKE_MODEL.name, model_name: FAKE_MODEL.name, hash: null, sha256: null, filename: "(ci fake)", config: null }];
    },
  };
}
