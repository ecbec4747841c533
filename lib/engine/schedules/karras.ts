import { appendZero, linspace } from "./linspace.ts";

/** Karras et al. (2022) schedule, uniform in σ^(1/ρ) (k-diffusion `get_sigmas_karras`). */
export function sigmasKarras(n: number, sigmaMin: number, sigmaMax: number, rho = 7): Float64Array {
  const minInvRho = sigmaMin ** (1 / rho);
  const maxInvRho = sigmaMax ** (1 / rho);
  return appendZero(linspace(0, 1, n).map((ramp) => (maxInvRho + ramp * (minInvRho - maxInvRho)) ** rho));
}
