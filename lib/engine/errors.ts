/**
 * A plan the loaded model cannot run, named by the part of the plan at fault. The layer that built the plan maps
 * `part` back to what its caller sent (the A1111 layer to a request field), so the engine never speaks HTTP.
 */
export type PlanPart = "size" | "img2img.images" | "img2img.mask" | "img2img.latentMask" | "text.clipSkip" | "sampling.sampler" | "hires" | "text.embeddings" | "networks" | "refiner";

export class PlanError extends Error {
  readonly part: PlanPart;
  constructor(part: PlanPart, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PlanError";
    this.part = part;
  }
}
