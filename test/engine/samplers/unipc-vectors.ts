/**
 * Reference runs of A1111 v1.10.1's UniPC (modules/models/diffusion/uni_pc/uni_pc.py `UniPC.sample`, method
 * "multistep", predict_x0, no thresholding), driven as modules/sd_samplers_timesteps_impl.py `unipc` drives it: a
 * `UniPCCFG`-style model taking x_t and t_input = (t − 1/N)·1000 and returning ε, `steps = len(timesteps)`,
 * `t_start = timesteps[-1]/1000 + 1/1000` for img2img, over NoiseScheduleVP('discrete') of SD 1.5's alphas_cumprod
 * (ldm `register_schedule`: scaled_linear betas in float64, ᾱ stored as float32).
 *
 * The ε model reads σ = σ_VP/α at its t from the same schedule and returns (x − D(x, σ))/σ with x = x_t/α for the
 * denoisers below. Produced by PyTorch 1.13 (CPU) under torch.set_default_dtype(torch.float64): A1111 runs the
 * same code in float32, which on its own moves these results by up to ~7e-5 relative, so float64 is what checks
 * the algorithm. Each run starts from x_t = START_XT at the first level and gives x_t at the last, 9 significant
 * digits.
 */
import type { UniPcArgs } from "../../../lib/engine/samplers/unipc.ts";
import type { UniPcSkipType } from "../../../lib/engine/schedules/timesteps.ts";

/** x_t each run starts from. */
export const START_XT = [0.8, -1.3, 2.1] as const;

/**
 * txt2img at 10 steps: `get_timesteps(10)` (1, 101, …, 901; t_T = 1, τ = 999). img2img at 20 steps and
 * t_enc = 6: `timesteps[:6]` (1, 51, …, 251; τ_T = 251).
 */
export const STARTS = {
  txt2img: { tStart: 999, steps: 10 },
  img2img: { tStart: 251, steps: 6 },
} as const;

/** D(x, σ) = x·0.25/(σ² + 0.25), the ideal denoiser for data N(0, 0.5²) (test/engine/samplers/toy.ts). */
export const toyDenoiser = (x: number, sigma: number) => (x * 0.25) / (sigma * sigma + 0.25);
/** A smooth non-linear stand-in: the toy denoiser plus 0.1·sin(x)/(1 + σ). */
export const nonlinearDenoiser = (x: number, sigma: number) => toyDenoiser(x, sigma) + (0.1 * Math.sin(x)) / (1 + sigma);

export type UniPcVector = readonly [
  start: keyof typeof STARTS,
  skipType: UniPcSkipType,
  variant: NonNullable<UniPcArgs["variant"]>,
  order: number,
  lowerOrderFinal: boolean,
  /** Final x_t of START_XT[0] under the toy denoiser. */
  toy: number,
  /** Final x_t of each START_XT under the non-linear denoiser. */
  nonlinear: readonly number[],
];

export const UNIPC_VECTORS: readonly UniPcVector[] = [
  ["txt2img", "time_uniform", "bh1", 1, true, 0.333688586, [0.397097836, -0.627328751, 0.972268321]],
  ["txt2img", "time_uniform", "bh1", 2, true, 0.34632946, [0.412620167, -0.652344098, 1.01214681]],
  ["txt2img", "time_uniform", "bh1", 3, true, 0.346391389, [0.412544088, -0.652089104, 1.01197984]],
  ["txt2img", "time_uniform", "bh1", 4, true, 0.346404064, [0.412610577, -0.651990754, 1.01209151]],
  ["txt2img", "time_uniform", "bh1", 3, false, 0.468886475, [0.635111291, -0.974053372, 1.41752349]],
  ["txt2img", "time_uniform", "bh2", 1, true, 0.331342652, [0.394017443, -0.622514679, 0.965030737]],
  ["txt2img", "time_uniform", "bh2", 2, true, 0.343181908, [0.40870988, -0.646155557, 1.00229911]],
  ["txt2img", "time_uniform", "bh2", 3, true, 0.343652919, [0.409181914, -0.64679783, 1.00352408]],
  ["txt2img", "time_uniform", "bh2", 4, true, 0.343666498, [0.409253269, -0.646677464, 1.00363333]],
  ["txt2img", "time_uniform", "bh2", 3, false, 0.468837711, [0.635000559, -0.974027754, 1.41744255]],
  ["txt2img", "time_uniform", "vary_coeff", 1, true, 0.332072802, [0.394975887, -0.62401383, 0.967284708]],
  ["txt2img", "time_uniform", "vary_coeff", 2, true, 0.339300419, [0.403598083, -0.637959535, 0.99028066]],
  ["txt2img", "time_uniform", "vary_coeff", 3, true, 0.337256124, [0.400595885, -0.633035401, 0.983594682]],
  ["txt2img", "time_uniform", "vary_coeff", 4, true, 0.336705469, [0.399849461, -0.63164388, 0.981791426]],
  ["txt2img", "time_uniform", "vary_coeff", 3, false, 0.443027737, [0.601360267, -0.920857856, 1.33619241]],
  ["txt2img", "time_quadratic", "bh1", 1, true, 0.386083341, [0.482998726, -0.763482826, 1.17575658]],
  ["txt2img", "time_quadratic", "bh1", 2, true, 0.405669815, [0.512013412, -0.809417097, 1.24358233]],
  ["txt2img", "time_quadratic", "bh1", 3, true, 0.403258483, [0.509625979, -0.80506854, 1.23597702]],
  ["txt2img", "time_quadratic", "bh1", 4, true, 0.403068996, [0.509378507, -0.805502917, 1.23502325]],
  ["txt2img", "time_quadratic", "bh1", 3, false, 0.369042021, [0.514378422, -0.806778722, 1.22271118]],
  ["txt2img", "time_quadratic", "bh2", 1, true, 0.379816394, [0.473655483, -0.749423717, 1.15520508]],
  ["txt2img", "time_quadratic", "bh2", 2, true, 0.399686692, [0.503195461, -0.795297343, 1.22323675]],
  ["txt2img", "time_quadratic", "bh2", 3, true, 0.399743579, [0.50433122, -0.796373889, 1.22361101]],
  ["txt2img", "time_quadratic", "bh2", 4, true, 0.39953256, [0.50408943, -0.796791222, 1.22250158]],
  ["txt2img", "time_quadratic", "bh2", 3, false, 0.368697214, [0.514124561, -0.805925451, 1.22188874]],
  ["txt2img", "time_quadratic", "vary_coeff", 1, true, 0.381720602, [0.476488603, -0.753695313, 1.16146319]],
  ["txt2img", "time_quadratic", "vary_coeff", 2, true, 0.39160429, [0.49000974, -0.776231175, 1.19519734]],
  ["txt2img", "time_quadratic", "vary_coeff", 3, true, 0.383797743, [0.480331429, -0.760497241, 1.17031178]],
  ["txt2img", "time_quadratic", "vary_coeff", 4, true, 0.38181088, [0.477805011, -0.757053614, 1.16353231]],
  ["txt2img", "time_quadratic", "vary_coeff", 3, false, 0.350675743, [0.483195039, -0.760016914, 1.15613603]],
  ["txt2img", "logSNR", "bh1", 1, true, 0.387251189, [0.504174821, -0.793118314, 1.21940918]],
  ["txt2img", "logSNR", "bh1", 2, true, 0.418117862, [0.553464947, -0.869785029, 1.33059457]],
  ["txt2img", "logSNR", "bh1", 3, true, 0.408707194, [0.542303518, -0.850537453, 1.30171144]],
  ["txt2img", "logSNR", "bh1", 4, true, 0.405277787, [0.542046643, -0.841777702, 1.28146591]],
  ["txt2img", "logSNR", "bh1", 3, false, 0.399983395, [0.541084724, -0.848655619, 1.29566945]],
  ["txt2img", "logSNR", "bh2", 1, true, 0.374736363, [0.48427472, -0.761976443, 1.17362351]],
  ["txt2img", "logSNR", "bh2", 2, true, 0.406776387, [0.534980238, -0.84122357, 1.28942604]],
  ["txt2img", "logSNR", "bh2", 3, true, 0.407972359, [0.539857056, -0.847029222, 1.29708644]],
  ["txt2img", "logSNR", "bh2", 4, true, 0.404534759, [0.539564707, -0.838170418, 1.276749]],
  ["txt2img", "logSNR", "bh2", 3, false, 0.399923062, [0.540978623, -0.848595169, 1.2955325]],
  ["txt2img", "logSNR", "vary_coeff", 1, true, 0.378380736, [0.490060946, -0.771038614, 1.1869718]],
  ["txt2img", "logSNR", "vary_coeff", 2, true, 0.396776053, [0.516505207, -0.812408655, 1.24823059]],
  ["txt2img", "logSNR", "vary_coeff", 3, true, 0.381788744, [0.498237098, -0.782042639, 1.20241989]],
  ["txt2img", "logSNR", "vary_coeff", 4, true, 0.374203716, [0.492149255, -0.764515258, 1.16861578]],
  ["txt2img", "logSNR", "vary_coeff", 3, false, 0.374488126, [0.496744162, -0.780092638, 1.1977701]],
  ["img2img", "time_uniform", "bh1", 1, true, 0.530404769, [0.615318942, -0.980435261, 1.51898658]],
  ["img2img", "time_uniform", "bh1", 2, true, 0.542282456, [0.631309779, -1.00531096, 1.55562601]],
  ["img2img", "time_uniform", "bh1", 3, true, 0.541728135, [0.630741588, -1.00432546, 1.55399114]],
  ["img2img", "time_uniform", "bh1", 4, true, 0.541728135, [0.630741588, -1.00432546, 1.55399114]],
  ["img2img", "time_uniform", "bh1", 3, false, 0.496705312, [0.673182313, -1.0494333, 1.5531061]],
  ["img2img", "time_uniform", "bh2", 1, true, 0.52926205, [0.613810223, -0.978054392, 1.51538741]],
  ["img2img", "time_uniform", "bh2", 2, true, 0.540042567, [0.628279086, -1.0005995, 1.54869389]],
  ["img2img", "time_uniform", "bh2", 3, true, 0.539903954, [0.628266339, -1.0004667, 1.54827629]],
  ["img2img", "time_uniform", "bh2", 4, true, 0.539903954, [0.628266339, -1.0004667, 1.54827629]],
  ["img2img", "time_uniform", "bh2", 3, false, 0.495521373, [0.671749303, -1.04716442, 1.54971507]],
  ["img2img", "time_uniform", "vary_coeff", 1, true, 0.529625809, [0.614290048, -0.978811712, 1.51653254]],
  ["img2img", "time_uniform", "vary_coeff", 2, true, 0.53859649, [0.626066098, -0.99724674, 1.54397526]],
  ["img2img", "time_uniform", "vary_coeff", 3, true, 0.536597332, [0.623785987, -0.993487567, 1.53795758]],
  ["img2img", "time_uniform", "vary_coeff", 4, true, 0.536597332, [0.623785987, -0.993487567, 1.53795758]],
  ["img2img", "time_uniform", "vary_coeff", 3, false, 0.485691886, [0.656629273, -1.02400976, 1.51668373]],
  ["img2img", "time_quadratic", "bh1", 1, true, 0.552134111, [0.663965404, -1.05426525, 1.62178685]],
  ["img2img", "time_quadratic", "bh1", 2, true, 0.572753912, [0.695638789, -1.10249019, 1.68982315]],
  ["img2img", "time_quadratic", "bh1", 3, true, 0.568981366, [0.691769186, -1.09598279, 1.67917059]],
  ["img2img", "time_quadratic", "bh1", 4, true, 0.568981366, [0.691769186, -1.09598279, 1.67917059]],
  ["img2img", "time_quadratic", "bh1", 3, false, 0.535962303, [0.697688064, -1.09644285, 1.65222195]],
  ["img2img", "time_quadratic", "bh2", 1, true, 0.548807095, [0.658907494, -1.04642488, 1.61035851]],
  ["img2img", "time_quadratic", "bh2", 2, true, 0.567257597, [0.687098975, -1.08950807, 1.67156328]],
  ["img2img", "time_quadratic", "bh2", 3, true, 0.565740883, [0.686412671, -1.08785386, 1.66776841]],
  ["img2img", "time_quadratic", "bh2", 4, true, 0.565740883, [0.686412671, -1.08785386, 1.66776841]],
  ["img2img", "time_quadratic", "bh2", 3, false, 0.534530388, [0.69598835, -1.09369659, 1.64791762]],
  ["img2img", "time_quadratic", "vary_coeff", 1, true, 0.549839887, [0.660472404, -1.04885205, 1.61390029]],
  ["img2img", "time_quadratic", "vary_coeff", 2, true, 0.56579576, [0.683292463, -1.08407667, 1.6649032]],
  ["img2img", "time_quadratic", "vary_coeff", 3, true, 0.559747089, [0.676742356, -1.07320288, 1.64722909]],
  ["img2img", "time_quadratic", "vary_coeff", 4, true, 0.559747089, [0.676742356, -1.07320288, 1.64722909]],
  ["img2img", "time_quadratic", "vary_coeff", 3, false, 0.525458694, [0.679146412, -1.06864962, 1.61415001]],
  ["img2img", "logSNR", "bh1", 1, true, 0.552916071, [0.688744879, -1.08941479, 1.66342139]],
  ["img2img", "logSNR", "bh1", 2, true, 0.578351318, [0.729004239, -1.15018231, 1.74761137]],
  ["img2img", "logSNR", "bh1", 3, true, 0.570003887, [0.720815949, -1.13642393, 1.72474445]],
  ["img2img", "logSNR", "bh1", 4, true, 0.570003887, [0.720815949, -1.13642393, 1.72474445]],
  ["img2img", "logSNR", "bh1", 3, false, 0.564887694, [0.722538732, -1.13760012, 1.72229042]],
  ["img2img", "logSNR", "bh2", 1, true, 0.544925229, [0.675309117, -1.06883451, 1.63411337]],
  ["img2img", "logSNR", "bh2", 2, true, 0.56799105, [0.712907328, -1.12581676, 1.71363657]],
  ["img2img", "logSNR", "bh2", 3, true, 0.563860021, [0.711489706, -1.12221755, 1.70472858]],
  ["img2img", "logSNR", "bh2", 4, true, 0.563860021, [0.711489706, -1.12221755, 1.70472858]],
  ["img2img", "logSNR", "bh2", 3, false, 0.559179318, [0.714889423, -1.12576527, 1.70506778]],
  ["img2img", "logSNR", "vary_coeff", 1, true, 0.547300171, [0.679302514, -1.07495693, 1.6428467]],
  ["img2img", "logSNR", "vary_coeff", 2, true, 0.568402342, [0.70729076, -1.11853112, 1.70696187]],
  ["img2img", "logSNR", "vary_coeff", 3, true, 0.557655431, [0.696096631, -1.09983098, 1.67600822]],
  ["img2img", "logSNR", "vary_coeff", 4, true, 0.557655431, [0.696096631, -1.09983098, 1.67600822]],
  ["img2img", "logSNR", "vary_coeff", 3, false, 0.552851599, [0.696635517, -1.09952525, 1.67228171]],
];
