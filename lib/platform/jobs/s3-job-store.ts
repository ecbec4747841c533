/**
 * Jobs in the bucket, readable by every function instance:
 *
 *   jobs/<id>.json                      the state (job-state.ts), rewritten by the runner about once a second
 *   jobs/<id>/input.json                the request and settings, written once at submit
 *   jobs/<id>/cancel                    the cancel marker: written by DELETE or /interrupt, never by the runner,
 *                                       so a concurrent state write cannot erase the request
 *   jobs/running/<startedAt>_<id>       one empty object per running job, kept while it runs; /sdapi/v1/progress
 *                                       lists this short prefix instead of every job ever submitted
 *
 * S3 has no transactions: `update` re-reads the state and the cancel marker just before writing, and the marker
 * carries the cancel across the remaining read-write window.
 */
import type { ObjectStorage } from "../storage/object-storage.ts";
import { JobState, mergeWrite, parseJobInput } from "./job-state.ts";
import type { JobStore } from "./job-store.ts";

const stateKey = (id: string) => `jobs/${id}.json`;
const inputKey = (id: string) => `jobs/${id}/input.json`;
const cancelKey = (id: string) => `jobs/${id}/cancel`;
export const RUNNING_PREFIX = "jobs/running/";
const runningKey = (job: JobState) => `${RUNNING_PREFIX}${job.timing.startedAt!.replace(/[-:.]/g, "")}_${job.id}`;

export function createS3JobStore(storage: ObjectStorage): JobStore {
  async function get(id: string): Promise<JobState | null> {
    const raw = await storage.getJson<unknown>(stateKey(id));
    return raw === null ? null : JobState.parse(raw);
  }

  return {
    async create(job, input) {
      await storage.putJson(inputKey(job.id), input);
      await storage.putJson(stateKey(job.id), job);
    },
    get,
    async input(id) {
      const raw = await storage.getJson<unknown>(inputKey(id));
      return raw === null ? null : parseJobInput(raw);
    },
    async update(id, change) {
      const [current, cancelMarked] = await Promise.all([get(id), storage.exists(cancelKey(id))]);
      if (!current) return null;
      const next = mergeWrite(current, change(current), cancelMarked);
      await storage.putJson(stateKey(id), next);
      if (next.status === "running" && current.status !== "running") await storage.put(runningKey(next), next.id, "text/plain");
      if (current.status === "running" && next.status !== "running") await storage.delete(runningKey(current));
      return next;
    },
    async requestCancel(id) {
      await storage.put(cancelKey(id), new Date().toISOString(), "text/plain");
    },
    cancelRequested: (id) => storage.exists(cancelKey(id)),
    async running() {
      const keys = (await storage.list(RUNNING_PREFIX)).sort().reverse();
      const jobs = await Promise.all(keys.map(async (key) => ({ key, job: await get(key.slice(key.lastIndexOf("_") + 1)) })));
      const stale = jobs.filter(({ job }) => job?.status !== "running");
      // Markers of jobs that are no longer running (a runner that died between its two writes) are tidied here.
      await Promise.all(stale.map(({ key }) => storage.delete(key)));
      return jobs.flatMap(({ job }) => (job?.status === "running" ? [job] : []));
    },
  };
}
