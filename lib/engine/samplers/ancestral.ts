/**
 * k-diffusion `get_ancestral_step`: an ancestral step from σ_from to σ_to goes down deterministically to
 * σ_down and then adds fresh noise of σ_up, with σ_down² + σ_up² = σ_to². eta scales the noise (0: none).
 */
export function getAncestralStep(sigmaFrom: number, sigmaTo: number, eta = 1): { sigmaDown: number; sigmaUp: number } {
  if (!eta) return { sigmaDown: sigmaTo, sigmaUp: 0 };
  const sigmaUp = Math.min(
    sigmaTo,
    eta * Math.sqrt((sigmaTo * sigmaTo * (sigmaFrom * sigmaFrom - sigmaTo * sigmaTo)) / (sigmaFrom * sigmaFrom)),
  );
  return { sigmaDown: Math.sqrt(sigmaTo * sigmaTo - sigmaUp * sigmaUp), sigmaUp };
}
