/**
 * The inference worker as a container-image Lambda (lib/platform/worker/lambda-handler.ts in the image built from
 * infra/worker.Dockerfile). sst.aws.Function builds container images for Python only (docs/serverless.md §1.3), so
 * this is raw Pulumi: an ECR repository, the image built and pushed with the docker-build provider, a role, a log
 * group and the function.
 */
import path from "node:path";

/** Lambda's ceilings (docs/serverless.md §4): 10 GB memory (6 vCPUs), 15 minutes, 10 GB of /tmp for model files. */
export const WORKER_LIMITS = { memoryMb: 10240, timeoutSeconds: 900, ephemeralStorageMb: 10240 } as const;

/** Older images are deleted from the repository; each is a few GB of ECR storage. */
const KEPT_IMAGES = 3;

export interface WorkerArgs {
  bucket: sst.aws.Bucket;
  environment: Record<string, $util.Input<string>>;
  logRetentionDays: number;
}

export function createWorker(args: WorkerArgs) {
  const repository = new aws.ecr.Repository("WorkerRepository", { forceDelete: true });
  new aws.ecr.LifecyclePolicy("WorkerRepositoryLifecycle", {
    repository: repository.name,
    policy: JSON.stringify({
      rules: [
        {
          rulePriority: 1,
          description: `keep the last ${KEPT_IMAGES} images`,
          selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: KEPT_IMAGES },
          action: { type: "expire" },
        },
      ],
    }),
  });

  const token = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId });
  // The build context is the repository root: the image needs lib/ and package*.json. SST resolves relative
  // paths from .sst/platform, hence $cli.paths.root (anomalyco/sst#4462).
  const image = new dockerbuild.Image("WorkerImage", {
    context: { location: $cli.paths.root },
    dockerfile: { location: path.join($cli.paths.root, "infra", "worker.Dockerfile") },
    // The Dockerfile's Lambda stage (CPU); its `http` stage is the GPU host's image.
    target: "lambda",
    platforms: ["linux/amd64"],
    push: true,
    tags: [$interpolate`${repository.repositoryUrl}:latest`],
    registries: [{ address: token.proxyEndpoint, username: token.userName, password: $util.secret(token.password) }],
  });

  const role = new aws.iam.Role("WorkerRole", {
    assumeRolePolicy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
    }),
  });
  new aws.iam.RolePolicyAttachment("WorkerLogging", {
    role: role.name,
    policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
  });
  // Models are read from the bucket; stored images, job progress and results are written to it.
  new aws.iam.RolePolicy("WorkerBucketAccess", {
    role: role.id,
    policy: $jsonStringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: ["s3:ListBucket"], Resource: [args.bucket.arn] },
        { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: [$interpolate`${args.bucket.arn}/*`] },
      ],
    }),
  });

  const logGroup = new aws.cloudwatch.LogGroup("WorkerLogs", { retentionInDays: args.logRetentionDays });

  return new aws.lambda.Function("Worker", {
    packageType: "Image",
    // By digest, so that a rebuilt image updates the function (Lambda takes repo:tag or repo@digest).
    imageUri: $interpolate`${repository.repositoryUrl}@${image.digest}`,
    role: role.arn,
    architectures: ["x86_64"],
    memorySize: WORKER_LIMITS.memoryMb,
    timeout: WORKER_LIMITS.timeoutSeconds,
    ephemeralStorage: { size: WORKER_LIMITS.ephemeralStorageMb },
    environment: { variables: args.environment },
    loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
  });
}
