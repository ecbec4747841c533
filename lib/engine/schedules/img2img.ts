/** How many steps img2img schedules and runs, from A1111 (modules/sd_samplers_common.py `setup_img2img_steps`). */
export interface Img2imgSteps {
  /** The schedule is made for this many steps … */
  readonly scheduleSteps: number;
  /** … and sampling starts `tEnc + 1` steps before its end: at index scheduleSteps − tEnc − 1 (k-diffusion). */
  readonly tEnc: number;
}

/**
 * Default: the schedule has `steps` steps and t_enc = int(min(d, 0.999)·steps), so t_enc + 1 steps run
 * (20 steps at d = 0.75: t_enc = 15, 16 steps from sigmas[4]). With `img2img_fix_steps` (always on the hires
 * pass) the schedule is stretched to int(steps / min(d, 0.999)) steps and exactly `steps` run.
 */
export function img2imgSteps(steps: number, denoisingStrength: number, fixSteps: boolean): Img2imgSteps {
  const strength = Math.min(denoisingStrength, 0.999);
  if (fixSteps) {
    return { scheduleSteps: denoisingStrength > 0 ? Math.trunc(steps / strength) : 0, tEnc: steps - 1 };
  }
  return { scheduleSteps: steps, tEnc: Math.trunc(strength * steps) };
}
