import { appendZero, linspace } from "./linspace.ts";

/**
 * The Align Your Steps 10-step schedule for SD 1.5 (A1111 modules/sd_schedulers.py, from
 * research.nvidia.com/labs/toronto-ai/AlignYourSteps/howto.html). A1111 switches to an SDXL table for SDXL models;
 * Serena runs SD 1.x/2.x only.
 */
const AYS_SD15 = [14.615, 6.475, 3.861, 2.697, 1.886, 1.396, 0.963, 0.652, 0.399, 0.152, 0.029];

/** A1111 "Align Your Steps": the table itself for n = 11, else log-linearly interpolated to n points; then 0. */
export function sigmasAlignYourSteps(n: number): Float64Array {
  if (n === AYS_SD15.length) return appendZero(AYS_SD15);
  // loglinear_interp: np.interp of log σ (ascending) at n evenly spaced positions in [0, 1].
  const logAscending = AYS_SD15.map(Math.log).reverse();
  const segments = logAscending.length - 1;
  const interpolated = linspace(0, 1, n).map((position) => {
    const scaled = position * segments;
    const low = Math.min(Math.floor(scaled), segments - 1);
    const w = scaled - low;
    return Math.exp((1 - w) * logAscending[low] + w * logAscending[low + 1]);
  });
  return appendZero(interpolated.reverse());
}
