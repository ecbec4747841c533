// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- SST's platform types, written by `sst install`
/// <reference path="./.sst/platform/config.d.ts" />
import type { InferenceTier } from "./infra/environment.ts";

/**
 * Serena on AWS (docs/deploying.md): an HTTP API with one function per route of lib/a1111/routes/table.ts, a bucket for
 * models, outputs and job state, the inference worker (a container-image Lambda, or a GPU host over HTTP), the
 * job runner of the asynchronous path, and the secrets they use. Stages: see infra/stage.ts.
 */

/** Seconds a synchronous route keeps after the worker call to answer with an error (HTTP API stops at 30 s). */
const ROUTE_MARGIN_SECONDS = 1;
/** Seconds the job runner keeps to record a failed job before Lambda stops it. */
const JOB_RUNNER_MARGIN_SECONDS = 15;

export default $config({
  // SST refuses top-level imports here (the file is evaluated before providers are installed): modules are
  // imported inside the functions that use them.
  async app(input) {
    const { isProductionStage } = await import("./infra/stage.ts");
    const production = isProductionStage(input?.stage);
    return {
      name: "serena",
      removal: production ? "retain" : "remove",
      protect: production,
      home: "aws",
      // Builds and pushes the worker image (infra/worker.ts); the version SST's own container functions use.
      providers: { "docker-build": "0.0.14" },
    };
  },
  async run() {
    const { createApi } = await import("./infra/api.ts");
    const { apiEnvironment, jobRunnerEnvironment, workerEnvironment, workerTimeoutMs } = await import("./infra/environment.ts");
    const { createJobRunner, JOB_RUNNER_TIMEOUT_SECONDS } = await import("./infra/job-runner.ts");
    const { deploySettings } = await import("./infra/stage.ts");
    const { createWorker } = await import("./infra/worker.ts");

    const settings = deploySettings($app.stage, process.env);
    // Generated images and async job records expire (infra/stage.ts outputRetentionDays); models stay.
    const bucket = new sst.aws.Bucket("Storage", {
      lifecycle: [
        { id: "expire-outputs", prefix: "outputs/", expiresIn: `${settings.outputRetentionDays} days` },
        { id: "expire-jobs", prefix: "jobs/", expiresIn: `${settings.outputRetentionDays} days` },
      ],
    });
    const storage = { bucket: bucket.name, region: aws.getRegionOutput().region };
    const apiAuth = new sst.Secret("ApiAuth");

    let tier: InferenceTier<$util.Input<string>>;
    let worker: aws.lambda.Function | null = null;
    if (settings.gpuEndpointUrl !== null) {
      tier = { kind: "http", url: settings.gpuEndpointUrl, token: new sst.Secret("WorkerToken").value };
    } else {
      worker = createWorker({
        bucket,
        environment: workerEnvironment({ storage, modelUri: $interpolate`s3://${bucket.name}/models/${settings.modelName}/` }),
        logRetentionDays: settings.logRetentionDays,
      });
      tier = { kind: "lambda", functionName: worker.name };
    }
    const invokeWorker = worker ? [{ actions: ["lambda:InvokeFunction"], resources: [worker.arn] }] : [];

    const jobRunner = createJobRunner({
      environment: jobRunnerEnvironment({
        tier,
        storage,
        workerTimeoutMs: workerTimeoutMs(JOB_RUNNER_TIMEOUT_SECONDS, JOB_RUNNER_MARGIN_SECONDS),
      }),
      link: [bucket],
      permissions: invokeWorker,
      logRetention: settings.logRetention,
    });

    const api = createApi({
      environment: (route) =>
        apiEnvironment({
          tier,
          storage,
          apiAuth: apiAuth.value,
          jobRunnerFunction: jobRunner.name,
          workerTimeoutMs: workerTimeoutMs(route.timeout, ROUTE_MARGIN_SECONDS),
        }),
      link: [bucket],
      permissions: [...invokeWorker, { actions: ["lambda:InvokeFunction"], resources: [jobRunner.arn] }],
      corsAllowOrigins: settings.corsAllowOrigins,
      logRetention: settings.logRetention,
    });

    return {
      api: api.url,
      bucket: bucket.name,
      worker: worker ? worker.name : settings.gpuEndpointUrl,
      jobRunner: jobRunner.name,
    };
  },
});
