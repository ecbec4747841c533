/**
 * The CI fake inference backend: no model runs, but everything a client can check is true. It is the in-process
 * backend with a stand-in engine whose pixels derive from each image's seed and prompts; the request is planned,
 * validated and rendered by the same A1111 edge as the real engine (batch_size × n_iter images at A1111's output
 * size, seeds resolved and listed, infotexts embedded, parameters echoed). It says it is fake: the model name
 * "serena-ci-fake", an infotext entry, and the `x-serena-fake-inference` header the middleware sets. The same
 * request gives the same bytes. Inpainting is truthful too: the placeholder is composited through the engine's own
 * mask processing and overlay, so pixels outside the mask are the init image's, as the real engine returns them.
 */
import { createHash } from "node:crypto";
import { runA1111Generation } from "../../a1111/generation/generate.ts";
import type { GenerationJob } from "../../a1111/generation/job.ts";
import type { Engine, GenerationPlan, ModelIdentity, RgbImage } from "../../engine/plan.ts";
import { checkImg2Img, overlayResult, preparePixels } from "../../engine/pipeline/img2img-setup.ts";
import type { InferenceBackend } from "../../a1111/backend.ts";

export const FAKE_MODEL: ModelIdentity = { name: "serena-ci-fake", hash: null };
const FAKE_NOTE = { "CI fake": "placeholder image; no model ran" };

/** The size of the images a plan makes: the first pass's, or hires fix's target. */
function outputSize(plan: GenerationPlan): [number, number] {
  const hires = plan.hires;
  if (!hires) return [plan.width, plan.height];
  return [hires.upscaleWidth - 8 * hires.truncateX, hires.upscaleHeight - 8 * hires.truncateY];
}

/** A smooth colour field with a seed-dependent hue and stripes: cheap, deterministic, and visibly not a photo. */
function fakePixels(plan: GenerationPlan, index: number): RgbImage {
  const digest = createHash("sha256")
    .update(`${plan.seeds[index]}\0${plan.prompts[index]}\0${plan.negativePrompts[index]}`)
    .digest();
  const [w, h] = outputSize(plan);
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
  return { data: pixels, width: w, height: h };
}

/** The stand-in engine: a finished image per planned image, each step reported at once. */
export const fakeEngine: Engine = {
  model: FAKE_MODEL,
  async generate(plan, hooks = {}) {
    const images: RgbImage[] = [];
    const steps = plan.sampling.steps;
    if (plan.img2img) checkImg2Img(plan.img2img, plan.width, plan.height);
    const inpaint = plan.img2img?.inpaint ? preparePixels(plan.img2img, plan.width, plan.height, plan.batchSize) : null;
    for (let i = 0; i < plan.seeds.length; i++) {
      hooks.onProgress?.({ jobNo: Math.floor(i / plan.batchSize), jobCount: plan.batchCount, samplingStep: steps, samplingSteps: steps });
      const overlay = plan.img2img?.inpaint?.overlay ? inpaint?.overlays?.[i % plan.batchSize] : undefined;
      images.push(overlay ? overlayResult(fakePixels(plan, i), overlay, inpaint!.pasteTo) : fakePixels(plan, i));
    }
    const events = { ngms: false, skipEarlyCond: false, inpaintingConditioning: false, blankMask: inpaint?.blankMask ?? false };
    return { images, model: FAKE_MODEL, timings: { prepare: 0, sampling: 0, decoding: 0, encoding: 0 }, events };
  },
  async release() {},
};

/** Seeds for -1 drawn from the request itself, so that the fake stays deterministic. */
function seedDraws(job: GenerationJob): () => number {
  let counter = 0;
  const base = createHash("sha256").update(JSON.stringify(job.request)).digest();
  return () => base.readUInt32BE((counter++ % 7) * 4) % 4294967294;
}

export function createFakeBackend(): InferenceBackend {
  return {
    name: "ci-fake",
    // A fixed job timestamp and request-derived random seeds keep responses byte-identical across runs.
    generate: (job, hooks = {}) => runA1111Generation(job, fakeEngine, hooks, { now: new Date(0), drawSeed: seedDraws(job), notes: FAKE_NOTE }),
    async listModels() {
      return [{ title: FAKE_MODEL.name, model_name: FAKE_MODEL.name, hash: null, sha256: null, filename: "(ci fake)", config: null }];
    },
  };
}
