import { betaQuantile } from "./beta-distribution.ts";
import { appendZero, linspace } from "./linspace.ts";

/**
 * A1111 "Beta" as in v1.10.1 (modules/sd_schedulers.py `beta_scheduler`, from "Beta Sampling is All You Need",
 * arXiv:2407.12173): Beta(α, β) quantiles of 1 − linspace(0, 1, n), mapped linearly onto [σmin, σmax].
 * α and β are A1111's opts.beta_dist_alpha / beta_dist_beta (0.6 each). A1111's dev branch maps through
 * timesteps instead; v1.10.1 maps sigmas.
 */
export function sigmasBeta(n: number, sigmaMin: number, sigmaMax: number, alpha = 0.6, beta = 0.6): Float64Array {
  return appendZero(
    linspace(0, 1, n).map((x) => sigmaMin + betaQuantile(1 - x, alpha, beta) * (sigmaMax - sigmaMin)),
  );
}
