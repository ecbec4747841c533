/**
 * Where a generation's time goes, from the same engine and A1111 edge the server's worker thread runs
 * (`runA1111Generation`), in this process, with every `session.run` timed and labelled by the component it belongs to.
 * The HTTP run's remainder (worker messages, the response's JSON, the socket) is what is left of the HTTP time after
 * this run's total and the base64/JSON step, measured here on the same image.
 */
import path from "node:path";
import { InferenceSession } from "onnxruntime-node";
import { runA1111Generation } from "../../lib/a1111/generation/generate.ts";
import { Txt2ImgRequest } from "../../lib/a1111/schemas/generation.ts";
import { Options } from "../../lib/a1111/schemas/options.ts";
import { loadEngine, type EngineOptions, type LoadedEngine } from "../../lib/engine/engine.ts";

export interface Breakdown {
  readonly totalMs: number;
  /** Tokenising, prompt parsing and the rest of the conditioning outside the text encoder, and the initial noise. */
  readonly tokeniseMs: number;
  readonly textEncoderMs: number;
  readonly unetMsPerStep: number;
  /** Sampler and CFG arithmetic, progress and control hooks: sampling time outside the UNet, per step. */
  readonly jsMsPerStep: number;
  readonly vaeMs: number;
  /** Latents to 8-bit RGB after the VAE. */
  readonly pixelsMs: number;
  /** PNG encoding with the infotext chunk, and the infotext/info building around it. */
  readonly pngMs: number;
  /** The PNG as base64 inside A1111's JSON response body. */
  readonly base64JsonMs: number;
  readonly pngBytes: number;
  readonly responseBytes: number;
}

type Component = "textEncoder" | "unet" | "vae" | "other";
const runMs: Record<Component, number> = { textEncoder: 0, unet: 0, vae: 0, other: 0 };
let counting = false;

function componentOf(session: InferenceSession): Component {
  const inputs = session.inputNames;
  if (inputs.includes("input_ids")) return "textEncoder";
  if (inputs.includes("encoder_hidden_states")) return "unet";
  if (inputs.includes("latent_sample")) return "vae";
  return "other";
}

/** Wraps the `run` all sessions share (their prototype) once; it counts only while a breakdown runs. */
async function instrument(modelDir: string): Promise<void> {
  const probe = await InferenceSession.create(path.join(modelDir, "vae_decoder", "model.onnx"));
  const prototype = Object.getPrototypeOf(probe) as { run: InferenceSession["run"] & { timed?: true } };
  await probe.release();
  if (prototype.run.timed) return;
  const original = prototype.run;
  const timed = async function timedRun(this: InferenceSession, ...args: Parameters<InferenceSession["run"]>) {
    if (!counting) return original.apply(this, args);
    const start = performance.now();
    try {
      return await original.apply(this, args);
    } finally {
      runMs[componentOf(this)] += performance.now() - start;
    }
  };
  prototype.run = Object.assign(timed as InferenceSession["run"], { timed: true as const });
}

export interface InProcess {
  run(width: number, height: number, steps: number, seed: number): Promise<Breakdown>;
  release(): Promise<void>;
}

export async function openInProcess(modelDir: string, options: EngineOptions): Promise<InProcess> {
  await instrument(modelDir);
  const engine: LoadedEngine = await loadEngine(modelDir, options);
  const a1111Options = Options.parse({});
  return {
    async run(width, height, steps, seed) {
      const request = Txt2ImgRequest.parse({ prompt: "a red fox in the snow", seed, steps, width, height, sampler_name: "Euler" });
      for (const key of Object.keys(runMs) as Component[]) runMs[key] = 0;
      counting = true;
      const started = performance.now();
      let output;
      try {
        output = await runA1111Generation({ type: "txt2img", request, options: a1111Options }, engine);
      } finally {
        counting = false;
      }
      const totalMs = performance.now() - started;
      const t = output.timings!;
      const jsonStarted = performance.now();
      const body = JSON.stringify({ images: output.images.map((png) => png.toString("base64")), parameters: request, info: JSON.stringify(output.info) });
      const base64JsonMs = performance.now() - jsonStarted;
      return {
        totalMs,
        tokeniseMs: t.prepare - runMs.textEncoder,
        textEncoderMs: runMs.textEncoder,
        unetMsPerStep: runMs.unet / steps,
        jsMsPerStep: (t.sampling - runMs.unet) / steps,
        vaeMs: runMs.vae,
        pixelsMs: t.decoding - runMs.vae,
        pngMs: t.encoding,
        base64JsonMs,
        pngBytes: output.images[0]!.length,
        responseBytes: body.length,
      };
    },
    release: () => engine.release(),
  };
}
