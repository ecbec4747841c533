/**
 * Round to nearest, halves to the even neighbour: Python's `round()` on a float, and OpenCV's `cvRound` on a
 * softdouble (`f64_to_i32(…, round_near_even)`). `Math.round` sends halves up instead.
 */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
