/**
 * Linear time without a wall-clock threshold, which a loaded CI machine breaks: the CPU time of this process
 * (`process.cpuUsage`, which does not count time spent waiting for a core) for TEXT_LENGTH characters, the fastest
 * of up to three runs on freshly built texts (V8 caches some results per string), must stay under CPU_BUDGET_MS.
 * A linear parse takes a few hundred milliseconds at most there, even with coverage instrumentation; a quadratic
 * one takes minutes (A1111's regexes: 1.5 s at 20,000 characters, 22 s at 160,000). Comparing the times of n and
 * 8n characters instead does not work: V8 changes regime between 12,500 and 200,000 characters (split caches, the
 * young generation, the large-object space), so a linear parse's time per character jumps up to tenfold there.
 */
import { expect } from "vitest";

export const TEXT_LENGTH = 400_000;
const CPU_BUDGET_MS = 4_000;

function cpuMs(work: () => unknown): number {
  const start = process.cpuUsage();
  work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** Fails unless `work` on a text of TEXT_LENGTH characters built by `textOfLength` stays within the CPU budget. */
export function expectLinear(work: (text: string) => unknown, textOfLength: (n: number) => string): void {
  work(textOfLength(TEXT_LENGTH / 8)); // JIT compilation is not measured
  const times: number[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const text = textOfLength(TEXT_LENGTH);
    times.push(cpuMs(() => work(text)));
    if (times.at(-1)! < CPU_BUDGET_MS) return;
  }
  expect.fail(`not linear: ${times.map((t) => t.toFixed(0)).join(", ")} ms of CPU for ${TEXT_LENGTH} characters`);
}

/** `unit` repeated to exactly n characters. */
export const fill = (unit: string) => (n: number): string => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
