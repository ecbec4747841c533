/**
 * Where jobs live, so that any function instance can answer for any job: the bucket (s3-job-store.ts) when one is
 * configured, otherwise this process's memory (the local server, tests). Writes re-read the job and go through
 * `mergeWrite`, so a cancel request is never lost to a concurrent progress write.
 */
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

export function createMemoryJobStore(): JobStore {
  const jobs = new Map<string, { state: JobState; input: JobInput; cancel: boolean }>();
  const copy = <T>(value: T): T => structuredClone(value);
  return {
    async create(job, input) {
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
