/**
 * The link between a generation and its stored job while it runs: progress reports are written at most once per
 * poll (about once a second: S3 writes cost money and time), the job is rewritten at least once per heartbeat so
 * that a live runner is never taken for a dead one, and the cancel marker is read on every poll so that `cancelled`
 * can answer the engine's between-step `control()` without waiting on the network. Whatever process runs the
 * engine for a job (the job runner with the local backend, or a remote worker given the job's id) can watch it.
 */
import type { ProgressUpdate } from "../../a1111/backend.ts";
import { recordProgress, type JobState } from "./job-state.ts";
import type { JobStore } from "./job-store.ts";

export interface WatchOptions {
  /** How often progress is written and the cancel marker read. */
  pollMs?: number;
  /** How often a running job is rewritten when nothing changed. */
  heartbeatMs?: number;
}

export const WATCH_DEFAULTS = { pollMs: 1000, heartbeatMs: 60_000 };

export interface JobWatch {
  onProgress(update: ProgressUpdate): void;
  /** The last report, for the final state (the last write may be up to a poll old). */
  readonly latest: ProgressUpdate | null;
  /** Whether a cancel request has been seen. */
  readonly cancelled: boolean;
  /** Stops polling, after the write in flight if any. */
  stop(): Promise<void>;
}

export function watchJob(store: JobStore, job: Pick<JobState, "id" | "cancelRequested">, options: WatchOptions = {}): JobWatch {
  const pollMs = options.pollMs ?? WATCH_DEFAULTS.pollMs;
  const heartbeatMs = options.heartbeatMs ?? WATCH_DEFAULTS.heartbeatMs;
  let latest: ProgressUpdate | null = null;
  let written: ProgressUpdate | null = null;
  let lastWrite = Date.now();
  let cancelled = job.cancelRequested;
  let tick: Promise<void> = Promise.resolve();
  const poll = async () => {
    const now = Date.now();
    if (latest !== written || now - lastWrite >= heartbeatMs) {
      const update = latest;
      const current = await store.update(job.id, (j) => recordProgress(j, update, now));
      written = update;
      lastWrite = now;
      cancelled ||= current?.cancelRequested ?? false;
    } else {
      cancelled ||= await store.cancelRequested(job.id);
    }
  };
  // A failed poll (a network blip) is skipped; the next one tries again.
  const timer = setInterval(() => {
    tick = tick.then(poll).catch(() => undefined);
  }, pollMs);
  return {
    onProgress(update) {
      latest = update;
    },
    get latest() {
      return latest;
    },
    get cancelled() {
      return cancelled;
    },
    async stop() {
      clearInterval(timer);
      await tick;
    },
  };
}
