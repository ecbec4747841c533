import type { ModelSigmas } from "./model-sigmas.ts";

/**
 * The schedule of A1111's UniPC (`NoiseScheduleVP('discrete')`, modules/models/diffusion/uni_pc/uni_pc.py):
 * log √ᾱ is linear in t between table entries, where k-diffusion interpolates log σ instead. The two agree at
 * integer timesteps; between them they differ (t 0.5 → σ 0.03576 here, 0.03471 in k-diffusion), so UniPC's
 * noise levels and the UNet timesteps fed for them both follow this map.
 */
export function vpModelSigmas(model: ModelSigmas): ModelSigmas {
  const logAlphas = model.alphasCumprod.map((a) => 0.5 * Math.log(a));
  const last = logAlphas.length - 1;
  const sigmaOfLogAlpha = (logAlpha: number) => Math.sqrt(Math.expm1(-2 * logAlpha));
  return {
    ...model,
    tToSigma(t) {
      const clamped = Math.min(Math.max(t, 0), last);
      const low = Math.floor(clamped);
      const high = Math.ceil(clamped);
      const w = clamped - low;
      return sigmaOfLogAlpha((1 - w) * logAlphas[low] + w * logAlphas[high]);
    },
    sigmaToT(sigma) {
      // uni_pc `inverse_lambda`: log √ᾱ of the noise level, then back to t through the same linear pieces.
      const logAlpha = -0.5 * Math.log1p(sigma * sigma);
      if (logAlpha >= logAlphas[0]) return 0;
      if (logAlpha <= logAlphas[last]) return last;
      let low = 0;
      let high = last;
      while (high - low > 1) {
        const mid = (low + high) >> 1;
        if (logAlphas[mid] >= logAlpha) low = mid;
        else high = mid;
      }
      return low + (logAlphas[low] - logAlpha) / (logAlphas[low] - logAlphas[high]);
    },
  };
}
