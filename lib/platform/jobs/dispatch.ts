/**
 * Starts a submitted job. Without SERENA_JOB_RUNNER_FUNCTION it runs in this process, after the response (the
 * local server; in Lambda the instance would freeze once the response is sent, hence the runner function), one job
 * after another in submission order, so that queued jobs wait in the job store rather than in the backend. With
 * it, the runner function is invoked asynchronously (InvocationType "Event") with `{"jobId": "<id>"}`; the payload
 * stays tiny because the request waits in the store (Lambda caps asynchronous payloads at 256 KB).
 */
import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { Config } from "../config.ts";
import { backendUnavailable } from "../../a1111/errors.ts";
import type { Services } from "../runtime/services.ts";
import { finishJob } from "./job-state.ts";
import { runJob } from "./runner.ts";

export interface JobRunnerEvent {
  jobId: string;
}

const clients = new Map<string, LambdaClient>();

/** The AWS SDK is imported on first use: functions that never dispatch a job (most routes) start without it. */
const lambdaSdk = () => import("@aws-sdk/client-lambda");

async function lambdaClient(config: Config): Promise<LambdaClient> {
  const endpoint = config.worker.lambdaEndpoint;
  const id = `${config.storage.region} ${endpoint ?? ""}`;
  let client = clients.get(id);
  if (!client) {
    const { LambdaClient } = await lambdaSdk();
    client = clients.get(id) ?? new LambdaClient({ region: config.storage.region, ...(endpoint ? { endpoint } : {}) });
    clients.set(id, client);
  }
  return client;
}

/** The in-process jobs of each job store, chained. */
const inProcess = new WeakMap<object, Promise<unknown>>();

export async function dispatchJob(id: string, services: Services): Promise<void> {
  const functionName = services.config.jobRunnerFunction;
  if (!functionName) {
    const previous = inProcess.get(services.jobStore) ?? Promise.resolve();
    const next = previous.then(() =>
      runJob(id, services).catch((error: unknown) => services.logger.error("job runner failed", { jobId: id, error: error as Error })),
    );
    inProcess.set(services.jobStore, next);
    return;
  }
  const event: JobRunnerEvent = { jobId: id };
  try {
    // The runner function can only find the job in a shared bucket; in-memory jobs stay in this process.
    if (!services.storage) throw new Error("SERENA_JOB_RUNNER_FUNCTION needs a bucket (SERENA_BUCKET) to hand jobs over");
    const { InvokeCommand } = await lambdaSdk();
    await (await lambdaClient(services.config)).send(
      new InvokeCommand({ FunctionName: functionName, InvocationType: "Event", Payload: Buffer.from(JSON.stringify(event)) }),
    );
  } catch (error) {
    const detail = `could not start the job runner ${functionName}: ${(error as Error).message}`;
    await services.jobStore.update(id, (job) => finishJob(job, { status: "failed", error: { status: 503, detail } }, Date.now()));
    throw backendUnavailable(detail);
  }
}
