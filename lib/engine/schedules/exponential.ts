import { appendZero, linspace } from "./linspace.ts";

/** Uniform in log σ (k-diffusion `get_sigmas_exponential`). */
export function sigmasExponential(n: number, sigmaMin: number, sigmaMax: number): Float64Array {
  return appendZero(linspace(Math.log(sigmaMax), Math.log(sigmaMin), n).map(Math.exp));
}

/** log σ as a polynomial of degree ρ in the step (k-diffusion `get_sigmas_polyexponential`); ρ = 1 is exponential. */
export function sigmasPolyexponential(n: number, sigmaMin: number, sigmaMax: number, rho = 1): Float64Array {
  const logMin = Math.log(sigmaMin);
  const logRange = Math.log(sigmaMax) - logMin;
  return appendZero(linspace(1, 0, n).map((ramp) => Math.exp(ramp ** rho * logRange + logMin)));
}
