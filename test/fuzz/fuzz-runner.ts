/**
 * How the fuzz properties run: fast-check with a fixed seed per property (derived from a base seed and the
 * property's name, so CI is reproducible and properties do not share a stream), a run count per property, and on
 * failure the seed and path to replay exactly that case.
 *
 *   SERENA_FUZZ_SEED=<n>          base seed (default 20260604)
 *   SERENA_FUZZ_RUNS=<n>          runs of every property, instead of each one's default
 *   SERENA_FUZZ_REPLAY=<seed>:<path>   replay one failure (with -t '<property name>'), as the failure message prints
 *
 * Statistics (cases per route, statuses seen) are gathered as the properties run and printed at the end of each
 * file (`SERENA_FUZZ_STATS=0` silences them).
 */
import { createHash } from "node:crypto";
import fc from "fast-check";

const BASE_SEED = Number(process.env.SERENA_FUZZ_SEED ?? 20260604);
const RUNS = process.env.SERENA_FUZZ_RUNS ? Number(process.env.SERENA_FUZZ_RUNS) : undefined;
const REPLAY = process.env.SERENA_FUZZ_REPLAY;

/** The seed of one property: the base seed mixed with its name. */
export function propertySeed(name: string): number {
  return createHash("sha256").update(`${BASE_SEED}\0${name}`).digest().readInt32BE(0);
}

/**
 * True when every property runs its default count: only then do the per-file floors below hold. The three files'
 * floors add up to more than the 10,000 cases `npm test` promises (docs/security.md lists the figures).
 */
export const defaultRuns = RUNS === undefined && REPLAY === undefined;

/** The run count of a property: its default, or SERENA_FUZZ_RUNS. */
export const runs = (defaultRuns: number) => RUNS ?? defaultRuns;

/**
 * Runs `property` `numRuns` times from its seed, or replays SERENA_FUZZ_REPLAY. A failure is rethrown with the
 * property's name, fast-check's report (seed, path, shrunk counterexample) and the command that replays it.
 */
export async function runProperty<T>(name: string, property: fc.IAsyncPropertyWithHooks<T> | fc.IAsyncProperty<T>, numRuns: number): Promise<void> {
  const [replaySeed, replayPath] = REPLAY ? [Number(REPLAY.split(":", 1)[0]), REPLAY.slice(REPLAY.indexOf(":") + 1)] : [];
  const seed = replaySeed ?? propertySeed(name);
  try {
    await fc.assert(property, { seed, numRuns: runs(numRuns), ...(replayPath ? { path: replayPath, endOnFailure: true } : {}) });
  } catch (error) {
    const report = (error as Error).message;
    const path = /path: "([^"]*)"/.exec(report)?.[1] ?? "";
    throw new Error(
      `fuzz property "${name}" failed (seed ${seed}). Replay: SERENA_FUZZ_SEED=${BASE_SEED} SERENA_FUZZ_REPLAY='${seed}:${path}' npx vitest run test/fuzz -t '${name}'\n${report}`,
      { cause: error },
    );
  }
}

/** Counts of what the properties saw, printed as a table at the end of a file. */
export class FuzzStats {
  readonly #cases = new Map<string, Map<string, number>>();
  readonly #time = new Map<string, { total: number; max: number }>();

  /** One case of `group` answered with `status` (or "closed", "no route"…) after `elapsedMs`. */
  record(group: string, status: number | string, elapsedMs = 0): void {
    let statuses = this.#cases.get(group);
    if (!statuses) this.#cases.set(group, (statuses = new Map()));
    const key = String(status);
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
    const time = this.#time.get(group) ?? { total: 0, max: 0 };
    this.#time.set(group, { total: time.total + elapsedMs, max: Math.max(time.max, elapsedMs) });
  }

  get total(): number {
    let total = 0;
    for (const statuses of this.#cases.values()) for (const n of statuses.values()) total += n;
    return total;
  }

  casesOf(group: string): number {
    let n = 0;
    for (const count of this.#cases.get(group)?.values() ?? []) n += count;
    return n;
  }

  report(title: string): string {
    const lines = [`${title}: ${this.total} cases`];
    for (const [group, statuses] of [...this.#cases].sort(([a], [b]) => a.localeCompare(b))) {
      const seen = [...statuses].sort(([a], [b]) => a.localeCompare(b)).map(([status, n]) => `${status}×${n}`);
      const time = this.#time.get(group)!;
      const timing = `mean ${(time.total / this.casesOf(group)).toFixed(1)} ms, max ${time.max.toFixed(0)} ms`;
      lines.push(`  ${group.padEnd(34)} ${String(this.casesOf(group)).padStart(5)}  ${timing.padEnd(28)} ${seen.join(" ")}`);
    }
    return lines.join("\n");
  }

  print(title: string): void {
    if (process.env.SERENA_FUZZ_STATS !== "0") console.log(this.report(title));
  }
}
