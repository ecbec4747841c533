/**
 * Where jobs live, so that any function instance can answer for any job: the bucket (s3-job-store.ts) when one is
 * configured, otherwise this process's memory (the local server, tests). Writes re-read the job and go through
 * `mergeWrite`, so a cancel request is never lost to a concurrent progress write.
 */
import { tooManyRequests } from "../../a1111/errors.ts";
import { isFinished, mergeWrite, type JobInput, type JobState } from "./job-state.ts";

export interface JobStore {
  /** Stores a new job and its input. */
  create(job: JobState, input: JobInput): Promise<void>;
  get(id: string): Promise<JobState | null>;
  input(id: string): Promise<JobInput | null>;
  /** Re-reads the job, applies `change` and writes the merged result; null when there is no such job. */
  update(id: string, change: (job: JobState) => JobState): Promise<JobState | null>;
  /** Records a cancel request where no other write can undo it. */
  requestCancel(id: string): Promise<void>;
  cancelRequested(id: string): Promise<boolean>;
  /** Running jobs, the most recently started first. */
  running(): Promise<JobState[]>;
}

export interface MemoryJobStoreLimits {
  /** Jobs held at once; finished ones are evicted oldest first to make room, unfinished ones never. */
  readonly maxJobs: number;
  /** How long a finished job stays readable. */
  readonly finishedTtlMs: number;
}

export const DEFAULT_MEMORY_JOB_LIMITS: MemoryJobStoreLimits = { maxJobs: 200, finishedTtlMs: 60 * 60_000 };

/**
 * Jobs in this process's memory (no bucket). Bounded: finished jobs expire after `finishedTtlMs`, the oldest finished
 * ones make room when `maxJobs` are held, and when every held job is still queued or running a new one is a 429.
 * A job's input (a request with its init images) is dropped as soon as the job finishes.
 */
export function createMemoryJobStore(limits: MemoryJobStoreLimits = DEFAULT_MEMORY_JOB_LIMITS, now: () => number = Date.now): JobStore {
  const jobs = new Map<string, { state: JobState; input: JobInput | null; cancel: boolean }>();
  const copy = <T>(value: T): T => structuredClone(value);
  const finishedAt = (state: JobState) => (state.timing.finishedAt ? Date.parse(state.timing.finishedAt) : null);

  function evict(): void {
    const finished = [...jobs.values()].filter((e) => isFinished(e.state.status)).sort((a, b) => finishedAt(a.state)! - finishedAt(b.state)!);
    for (const entry of finished) {
      if (now() - finishedAt(entry.state)! > limits.finishedTtlMs || jobs.size >= limits.maxJobs) jobs.delete(entry.state.id);
    }
  }

  return {
    async create(job, input) {
      evict();
      if (jobs.size >= limits.maxJobs) {
        throw tooManyRequests(`${jobs.size} jobs are queued or running here, the most this server holds (SERENA_MAX_JOBS); try again later`, 30);
      }
      jobs.set(job.id, { state: copy(job), input, cancel: false });
    },
    async get(id) {
      const entry = jobs.get(id);
      return entry ? copy(entry.state) : null;
    },
    async input(id) {
      return jobs.get(id)?.input ?? null;
    },
    async update(id, change) {
      const entry = jobs.get(id);
      if (!entry) return null;
      entry.state = mergeWrite(entry.state, change(copy(entry.state)), entry.cancel);
      if (isFinished(entry.state.status)) entry.input = null;
      return copy(entry.state);
    },
    async requestCancel(id) {
      const entry = jobs.get(id);
      if (entry && !isFinished(entry.state.status)) entry.cancel = true;
    },
    async cancelRequested(id) {
      return jobs.get(id)?.cancel ?? false;
    },
    async running() {
      return [...jobs.values()]
        .map((e) => e.state)
        .filter((s) => s.status === "running")
        .sort((a, b) => (b.timing.startedAt ?? "").localeCompare(a.timing.startedAt ?? ""))
        .map(copy);
    },
  };
}
