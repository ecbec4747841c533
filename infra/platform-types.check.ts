/**
 * A canary for `npm run typecheck:infra`: if SST's platform types stop resolving (a module-resolution setting,
 * a missing `sst install`), `sst` and `aws` silently become `any` and every check passes. These lines type-check
 * only while the real types are there: each expected error must occur.
 */

// @ts-expect-error -- not a Lambda runtime SST knows
export const unknownRuntime: sst.aws.FunctionArgs = { handler: "functions/ping.handler", runtime: "nodejs26.x" };

// @ts-expect-error -- Lambda's memory is `${number} MB` or GB
export const unknownSize: sst.aws.FunctionArgs = { handler: "functions/ping.handler", memory: "1024 MiB" };

// @ts-expect-error -- ephemeralStorage takes { size } in MB
export const imageArgs: aws.lambda.FunctionArgs = { role: "arn", packageType: "Image", ephemeralStorage: 10240 };
