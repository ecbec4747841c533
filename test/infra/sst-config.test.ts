/**
 * sst.config.ts evaluated with recording stubs (sst-stubs.ts): the deployed routes are exactly lib/a1111/routes/table.ts,
 * each bound to a handler that exists, within the HTTP API's and Lambda's limits; the worker image function, the
 * job runner, the secrets and the SERENA_* environment are what the code expects. Limits from docs/serverless.md §4:
 * HTTP API integrations stop at 30 s, Lambda memory and /tmp go up to 10,240 MB, a function runs at most 900 s.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../lib/platform/config.ts";
import { ROUTES, routeKey } from "../../lib/a1111/routes/table.ts";
import { ROOT, appFor, evaluate, secretValue, type Evaluation } from "./sst-stubs.ts";

const HTTP_API_TIMEOUT_S = 30;
const LAMBDA_MAX_MEMORY_MB = 10240;
const LAMBDA_MAX_TIMEOUT_S = 900;

/** What the stubbed `aws.getRegionOutput().region` reads as: the region the stage deploys to. */
const DEPLOY_REGION = "getRegionOutput.region";

const seconds = (duration: string) => {
  const match = /^(\d+) seconds?$/.exec(duration);
  if (!match) throw new Error(`not a duration in seconds: ${duration}`);
  return Number(match[1]);
};
const megabytes = (size: string) => {
  const match = /^(\d+) MB$/.exec(size);
  if (!match) throw new Error(`not a size in MB: ${size}`);
  return Number(match[1]);
};

/** The handler module and export an SST handler string ("functions/txt2img.handler") points at. */
async function resolveHandler(handler: string) {
  const dot = handler.lastIndexOf(".");
  const file = path.join(ROOT, `${handler.slice(0, dot)}.ts`);
  const exported = handler.slice(dot + 1);
  const module = existsSync(file) ? ((await import(file)) as Record<string, unknown>) : null;
  return { file, exported, value: module?.[exported] };
}

/** The variables parseConfig would see in that function: what sst.config.ts sets, nothing from this process. */
const configOf = (environment: Record<string, string>) => parseConfig(environment);

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("the stages", () => {
  it.each(["production", "prod"])("retains and protects the %s stage's resources", async (stage) => {
    expect(await appFor(stage)).toMatchObject({ name: "serena", home: "aws", removal: "retain", protect: true });
  });

  it.each(["dev", "ci", "pr-42"])("removes a %s stage's resources with it", async (stage) => {
    expect(await appFor(stage)).toMatchObject({ name: "serena", home: "aws", removal: "remove", protect: false });
  });

  it("keeps logs longer in production", async () => {
    const retention = (e: Evaluation) => new Set(e.routes.map((r) => r.args.logging.retention));
    expect(retention(await evaluate("dev"))).toEqual(new Set(["1 week"]));
    expect(retention(await evaluate("prod"))).toEqual(new Set(["3 months"]));
  });
});

describe("the HTTP API", () => {
  let deployed: Evaluation;
  beforeAll(async () => {
    deployed = await evaluate("ci");
  });

  it("is one API Gateway HTTP API", () => {
    expect(deployed.all("sst.aws.ApiGatewayV2")).toHaveLength(1);
    expect(new Set(deployed.routes.map((r) => r.api))).toEqual(new Set([deployed.all("sst.aws.ApiGatewayV2")[0]!.name]));
  });

  it("registers every route of lib/a1111/routes/table.ts exactly once, and no other", () => {
    const registered = deployed.routes.map((r) => r.key);
    expect(registered.toSorted()).toEqual(ROUTES.map(routeKey).toSorted());
    expect(new Set(registered).size).toBe(registered.length);
  });

  it.each(ROUTES.map((r) => [routeKey(r), r] as const))("binds %s to its handler, Node 24, its timeout and memory", (key, route) => {
    const { args } = deployed.routes.find((r) => r.key === key)!;
    expect(args.handler).toBe(`functions/${route.file}.handler`);
    expect(args.runtime).toBe("nodejs24.x");
    expect(seconds(args.timeout)).toBe(route.timeout);
    expect(megabytes(args.memory)).toBe(route.memory);
  });

  it("stays within the HTTP API's 30 s and Lambda's memory", () => {
    for (const { key, args } of deployed.routes) {
      expect(seconds(args.timeout), key).toBeLessThan(HTTP_API_TIMEOUT_S);
      expect(megabytes(args.memory), key).toBeLessThanOrEqual(LAMBDA_MAX_MEMORY_MB);
    }
  });

  it("points every route at a module under functions/ that exports the handler", async () => {
    for (const { key, args } of deployed.routes) {
      const handler = await resolveHandler(args.handler);
      expect(existsSync(handler.file), `${key}: ${handler.file}`).toBe(true);
      expect(typeof handler.value, `${key}: ${handler.exported}`).toBe("function");
    }
  });

  it("expires generated images and job records after the retention, and keeps models", () => {
    const { args } = deployed.one("sst.aws.Bucket", "Storage");
    expect(args.lifecycle).toEqual([
      { id: "expire-outputs", prefix: "outputs/", expiresIn: "7 days" },
      { id: "expire-jobs", prefix: "jobs/", expiresIn: "7 days" },
    ]);
  });

  it("links every route to the bucket and lets it invoke the worker and the job runner", () => {
    const bucket = deployed.one("sst.aws.Bucket", "Storage").instance;
    const worker = deployed.one("aws.lambda.Function", "Worker");
    const runner = deployed.one("sst.aws.Function", "JobRunner");
    for (const { key, args } of deployed.routes) {
      expect(args.link, key).toContain(bucket);
      const invokable = args.permissions.filter((p: { actions: string[] }) => p.actions.includes("lambda:InvokeFunction")).flatMap((p: { resources: string[] }) => p.resources);
      expect(invokable, key).toEqual(expect.arrayContaining([`${worker.name}.arn`, `${runner.name}.arn`]));
    }
  });

  it("keeps sharp out of the bundle so SST installs its Linux build", () => {
    for (const { key, args } of deployed.routes) expect(args.nodejs.install, key).toContain("sharp");
  });

  it("installs the npm packages a route reads files of beside its bundle (the /docs assets)", () => {
    const withInstall = ROUTES.filter((route) => route.install !== undefined);
    expect(withInstall.length).toBeGreaterThan(0);
    for (const route of withInstall) {
      const deployedRoute = deployed.routes.find(({ key }) => key === routeKey(route));
      expect(deployedRoute, route.path).toBeDefined();
      for (const name of route.install!) expect(deployedRoute!.args.nodejs.install, route.path).toContain(name);
    }
  });

  it("answers no CORS unless origins are configured, like A1111 without --cors-allow-origins", async () => {
    expect(deployed.one("sst.aws.ApiGatewayV2", "Api").args.cors).toBe(false);
    vi.stubEnv("SERENA_CORS_ALLOW_ORIGINS", "https://a.example, https://b.example");
    const withCors = await evaluate("ci");
    expect(withCors.one("sst.aws.ApiGatewayV2", "Api").args.cors).toMatchObject({ allowOrigins: ["https://a.example", "https://b.example"] });
  });
});

describe("the route functions' configuration", () => {
  let deployed: Evaluation;
  beforeAll(async () => {
    deployed = await evaluate("ci");
  });

  it("sends generations to the worker Lambda, with the bucket, the users of the ApiAuth secret and the job runner", () => {
    for (const { key, args } of deployed.routes) {
      const config = configOf(args.environment);
      expect(config.backend, key).toBe("lambda");
      expect(config.worker.functionName, key).toBe("Worker.name");
      expect(config.storage, key).toMatchObject({ bucket: "Storage.name", region: DEPLOY_REGION });
      expect(config.jobRunnerFunction, key).toBe("JobRunner.name");
      expect(args.environment.SERENA_API_AUTH, key).toBe(secretValue("ApiAuth"));
      expect(config.apiAuth, key).toEqual([{ user: "secret-ApiAuth", password: "stub" }]);
    }
  });

  it("gives up on the worker a second before API Gateway gives up on the route", () => {
    for (const route of ROUTES) {
      const { args } = deployed.routes.find((r) => r.key === routeKey(route))!;
      expect(configOf(args.environment).worker.timeoutMs).toBe((route.timeout - 1) * 1000);
    }
  });

  it("sets only variables that lib/platform/config.ts reads", () => {
    const source = readFileSync(path.join(ROOT, "lib/platform/config.ts"), "utf8");
    const functions = [...deployed.routes.map((r) => r.args), deployed.one("sst.aws.Function", "JobRunner").args];
    const keys = new Set(functions.flatMap((f) => Object.keys(f.environment)));
    for (const key of Object.keys(deployed.one("aws.lambda.Function", "Worker").args.environment.variables)) keys.add(key);
    for (const key of keys) expect(source, key).toContain(`${key}:`);
  });
});

describe("the inference worker", () => {
  let deployed: Evaluation;
  beforeAll(async () => {
    deployed = await evaluate("ci");
  });

  it("is a container-image Lambda at Lambda's limits: 10,240 MB, 900 s, 10,240 MB of /tmp", () => {
    const { args } = deployed.one("aws.lambda.Function", "Worker");
    expect(args).toMatchObject({ packageType: "Image", memorySize: LAMBDA_MAX_MEMORY_MB, timeout: LAMBDA_MAX_TIMEOUT_S });
    expect(args.ephemeralStorage).toEqual({ size: LAMBDA_MAX_MEMORY_MB });
  });

  it("runs the Lambda stage of infra/worker.Dockerfile, built with the repository root as context, by digest", () => {
    const image = deployed.one("dockerbuild.Image", "WorkerImage");
    const repository = deployed.one("aws.ecr.Repository", "WorkerRepository");
    expect(image.args.dockerfile.location).toBe(path.join(ROOT, "infra", "worker.Dockerfile"));
    expect(existsSync(image.args.dockerfile.location)).toBe(true);
    expect(image.args.context.location).toBe(ROOT);
    expect(image.args).toMatchObject({ target: "lambda", push: true, platforms: ["linux/amd64"] });
    expect(readFileSync(image.args.dockerfile.location, "utf8")).toMatch(/^FROM \S+ AS lambda$/m);
    expect(image.args.tags[0]).toMatch(new RegExp(`^${repository.name}\\.repositoryUrl:`));
    expect(deployed.one("aws.lambda.Function", "Worker").args.imageUri).toBe(`${repository.name}.repositoryUrl@${image.name}.digest`);
  });

  it("loads the stage's model from the bucket, sd15 unless SERENA_MODEL_NAME says otherwise", async () => {
    const config = configOf(deployed.one("aws.lambda.Function", "Worker").args.environment.variables);
    expect(config.storage).toMatchObject({ bucket: "Storage.name", region: DEPLOY_REGION, modelUri: "s3://Storage.name/models/sd15/" });
    vi.stubEnv("SERENA_MODEL_NAME", "dreamshaper-8");
    const other = await evaluate("ci");
    expect(configOf(other.one("aws.lambda.Function", "Worker").args.environment.variables).storage.modelUri).toBe("s3://Storage.name/models/dreamshaper-8/");
  });

  it("may read models and write outputs and job state in the bucket", () => {
    const policy = JSON.parse(deployed.one("aws.iam.RolePolicy", "WorkerBucketAccess").args.policy);
    const actions = policy.Statement.flatMap((s: { Action: string[] }) => s.Action);
    expect(actions).toEqual(expect.arrayContaining(["s3:GetObject", "s3:PutObject", "s3:ListBucket"]));
  });
});

describe("the job runner", () => {
  let deployed: Evaluation;
  beforeAll(async () => {
    deployed = await evaluate("ci");
  });

  it("runs functions/job-runner.handler on Node 24 for up to 900 s, without Lambda's silent retries", async () => {
    const { args } = deployed.one("sst.aws.Function", "JobRunner");
    expect(args).toMatchObject({ handler: "functions/job-runner.handler", runtime: "nodejs24.x", retries: 0 });
    expect(seconds(args.timeout)).toBe(LAMBDA_MAX_TIMEOUT_S);
    const handler = await resolveHandler(args.handler);
    expect(typeof handler.value, handler.file).toBe("function");
  });

  it("runs jobs on the worker with the bucket, giving up 15 s before its own timeout", () => {
    const { args } = deployed.one("sst.aws.Function", "JobRunner");
    const config = configOf(args.environment);
    expect(config).toMatchObject({
      backend: "lambda",
      worker: { functionName: "Worker.name", timeoutMs: 885_000 },
      storage: { bucket: "Storage.name", region: DEPLOY_REGION },
    });
    expect(args.permissions).toEqual([{ actions: ["lambda:InvokeFunction"], resources: ["Worker.arn"] }]);
  });
});

describe("a stage pointed at a GPU endpoint", () => {
  let deployed: Evaluation;
  beforeAll(async () => {
    vi.stubEnv("SERENA_GPU_ENDPOINT_URL", "https://gpu.example.com/");
    deployed = await evaluate("prod");
    vi.unstubAllEnvs();
  });

  it("builds no worker image and no worker Lambda", () => {
    expect(deployed.all("dockerbuild.Image")).toEqual([]);
    expect(deployed.all("aws.lambda.Function")).toEqual([]);
  });

  it("sends generations over HTTP with the WorkerToken secret", () => {
    const functions = [...deployed.routes.map((r) => r.args), deployed.one("sst.aws.Function", "JobRunner").args];
    for (const { environment } of functions) {
      expect(configOf(environment)).toMatchObject({ backend: "http", worker: { url: "https://gpu.example.com/", token: secretValue("WorkerToken") } });
      expect(environment.SERENA_WORKER_TOKEN).toBe(secretValue("WorkerToken"));
    }
    expect(deployed.outputs.worker).toBe("https://gpu.example.com/");
  });

  it("grants no Lambda invocation but the job runner's", () => {
    for (const { key, args } of deployed.routes) {
      expect(args.permissions, key).toEqual([{ actions: ["lambda:InvokeFunction"], resources: ["JobRunner.arn"] }]);
    }
  });
});

describe("secrets", () => {
  it("come from SST secrets, never from the repository: ApiAuth always, WorkerToken for a GPU endpoint", async () => {
    const secretNames = (e: Evaluation) => e.all("sst.Secret").map((s) => s.name);
    expect(secretNames(await evaluate("ci"))).toEqual(["ApiAuth"]);
    vi.stubEnv("SERENA_GPU_ENDPOINT_URL", "https://gpu.example.com");
    expect(secretNames(await evaluate("ci")).toSorted()).toEqual(["ApiAuth", "WorkerToken"]);
  });

  it("have no placeholder, so a stage cannot deploy without API users", async () => {
    expect((await evaluate("ci")).one("sst.Secret", "ApiAuth").args.placeholder).toBeUndefined();
  });
});

describe("the outputs", () => {
  it("are the API's URL, the bucket, the worker and the job runner", async () => {
    expect((await evaluate("ci")).outputs).toEqual({ api: "Api.url", bucket: "Storage.name", worker: "Worker.name", jobRunner: "JobRunner.name" });
  });
});
