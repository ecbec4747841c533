/**
 * UniPC's continuous times for each uni_pc_skip_type, as model timesteps τ = (t − 1/N)·1000: A1111 v1.10.1
 * modules/models/diffusion/uni_pc/uni_pc.py `UniPC.get_time_steps(skip_type, t_T, 1/N, steps)` over
 * NoiseScheduleVP('discrete') of SD 1.5's alphas_cumprod, PyTorch 1.13 in float64. txt2img: t_T = 1 (τ 999) at 10
 * steps; img2img: t_T = 251/1000 + 1/1000 (τ 251, `sd_samplers_timesteps_impl.unipc`) at 6 steps. 12 significant digits.
 */
export const UNIPC_TIMES: Readonly<Record<string, { readonly tStart: number; readonly steps: number; readonly times: readonly number[] }>> = {
  "txt2img/time_uniform": { tStart: 999, steps: 10, times: [999, 899.1, 799.2, 699.3, 599.4, 499.5, 399.6, 299.7, 199.8, 99.9, 0] },
  "txt2img/time_quadratic": { tStart: 999, steps: 10, times: [999, 814.702099788, 649.159288513, 502.371566173, 374.338932769, 265.061388301, 174.538932769, 102.771566173, 49.7592885125, 15.5020997883, 0] },
  "txt2img/logSNR": { tStart: 999, steps: 10, times: [999, 888.217777315, 756.512055428, 597.431574832, 413.16331908, 233.209370003, 102.974399814, 36.1442592527, 10.6207757576, 2.4397361006, 0] },
  "img2img/time_uniform": { tStart: 251, steps: 6, times: [251, 209.166666667, 167.333333333, 125.5, 83.6666666667, 41.8333333333, 0] },
  "img2img/time_quadratic": { tStart: 251, steps: 6, times: [251, 178.437363296, 118.166447941, 70.1872539332, 34.499781274, 11.1040299629, 0] },
  "img2img/logSNR": { tStart: 251, steps: 6, times: [251, 130.092959179, 56.6130419285, 21.3674592427, 7.12090663963, 1.86491940914, 0] },
};
