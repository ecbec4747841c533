/** What a sampler reports after each step (k-diffusion's `callback` dict, reduced to what callers use). */
export interface StepInfo {
  /** 0-based step index; `total` steps in all. */
  readonly i: number;
  readonly total: number;
  /** The noise level the step started from (sigmas[i]). */
  readonly sigma: number;
  /** The sampler's latest estimate of the clean latent. Read it, do not modify it. */
  readonly denoised: Float32Array;
}

/**
 * The arguments every sampler takes, after k-diffusion's `(model, x, sigmas, extra_args, callback, …)`.
 * `x` is the whole batch flattened; all images share each σ.
 */
export interface SamplerArgs {
  /**
   * D(x, σ): the denoised estimate (the caller applies c_in, CFG and eps/v conversion). It must not modify `x`
   * and must return a new array, which the sampler may keep for later steps.
   */
  readonly denoise: (x: Float32Array, sigma: number) => Promise<Float32Array>;
  /** The start latent (not modified; the sampler works on a copy). */
  readonly x: Float32Array;
  readonly sigmas: ArrayLike<number>;
  /** Fresh N(0, 1) noise of x's length, from the caller's per-image streams. Called only when noise is used. */
  readonly noise: () => Float32Array;
  /** Awaited after every step, in order; throwing from it stops sampling (interrupts). */
  readonly onStep?: (info: StepInfo) => void | Promise<void>;
  /** Ancestral/SDE noise amount (A1111 opts.eta_ancestral, default 1; DDIM: opts.eta_ddim, default 0). */
  readonly eta?: number;
  /** Scale of the added noise (A1111 opts.s_noise, default 1). */
  readonly sNoise?: number;
  /** Karras churn for Euler, Heun and DPM2 (A1111 opts.s_churn / s_tmin / s_tmax; default off). */
  readonly sChurn?: number;
  readonly sTmin?: number;
  readonly sTmax?: number;
}

export type SamplerFunction = (args: SamplerArgs) => Promise<Float32Array>;
