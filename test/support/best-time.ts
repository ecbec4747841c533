/**
 * Time checks that survive a busy CI runner: the best of three runs, after one warm-up run, so that a pause of the
 * machine (another test file's process, garbage collection) does not count. Used only for guards against
 * super-linear work on hostile input, with limits far above the normal time and far below the pathological one.
 */
export function bestTimeMs(run: () => unknown): number {
  run();
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    run();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}
