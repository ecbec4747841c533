# syntax=docker/dockerfile:1
#
# The inference worker (lib/platform/worker/) as a container image, built from the repository root:
#
#   Lambda, CPU (the default, last stage):
#     docker build -f infra/worker.Dockerfile -t serena-worker .
#   GPU host, CUDA (HTTP server on port 8080, SageMaker's contract):
#     docker build -f infra/worker.Dockerfile --build-arg ORT_EXECUTION=cuda --target http -t serena-worker-gpu .
#
# The Lambda image can serve HTTP as well, for a CPU host: its runtime starts through /lambda-entrypoint.sh, so
#   docker run -p 8080:8080 -e HOST=0.0.0.0 --entrypoint node serena-worker lib/platform/worker/http-main.ts
# The `http` stage runs the same code on an NVIDIA CUDA 12 + cuDNN 9 base (onnxruntime-node 1.30's CUDA provider
# needs both; docs/engine-reference.md §4.1), or on any other base given as HTTP_BASE, e.g. --build-arg HTTP_BASE=node:24-slim.
#
# Models: SERENA_MODEL_DIR (a folder in the image or on a mounted volume) or SERENA_MODEL_S3_URI (copied to
# SERENA_CACHE_DIR, /tmp by default, on the first request). With neither, the generated tiny test model is used.

ARG ORT_EXECUTION=cpu
ARG HTTP_BASE=nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04

# Production dependencies. onnxruntime-node ships its CPU binaries in the npm package; its install script only
# downloads the CUDA provider libraries from NuGet, so it is skipped here and run on purpose for ORT_EXECUTION=cuda.
FROM public.ecr.aws/lambda/nodejs:24 AS deps
ARG ORT_EXECUTION
WORKDIR /build
COPY package.json package-lock.json ./
RUN ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev \
 && rm -rf node_modules/onnxruntime-node/bin/napi-v6/darwin node_modules/onnxruntime-node/bin/napi-v6/win32
RUN if [ "$ORT_EXECUTION" = "cuda" ]; then \
      node node_modules/onnxruntime-node/script/install.js --onnxruntime-node-install=cuda12; \
    elif [ "$ORT_EXECUTION" != "cpu" ]; then \
      echo "ORT_EXECUTION must be cpu or cuda, not $ORT_EXECUTION" >&2; exit 1; \
    fi

# Node 24 for bases that do not have it (the CUDA image).
FROM node:24-bookworm-slim AS node

# The HTTP worker for GPU hosts: POST /invocations, GET /ping.
FROM ${HTTP_BASE} AS http
COPY --from=node /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
COPY --from=deps /build/node_modules ./node_modules
COPY package.json ./
COPY assets ./assets
COPY lib ./lib
ARG ORT_EXECUTION
# MALLOC_*, GLIBC_TUNABLES: glibc malloc settings (lib/platform/runtime/allocator.ts): memory freed after a job goes back to the system; huge pages where glibc and the kernel offer them.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 SERENA_ORT_EXECUTION_PROVIDERS=${ORT_EXECUTION},cpu MALLOC_MMAP_THRESHOLD_=131072 MALLOC_ARENA_MAX=2 GLIBC_TUNABLES=glibc.malloc.hugetlb=1
EXPOSE 8080
ENTRYPOINT ["node", "lib/platform/worker/http-main.ts"]

# The container-image Lambda (CPU): Lambda has no GPUs, so it is built with ORT_EXECUTION=cpu.
FROM public.ecr.aws/lambda/nodejs:24 AS lambda
COPY --from=deps /build/node_modules ${LAMBDA_TASK_ROOT}/node_modules
COPY package.json ${LAMBDA_TASK_ROOT}/
COPY assets ${LAMBDA_TASK_ROOT}/assets
COPY lib ${LAMBDA_TASK_ROOT}/lib
# MALLOC_*, GLIBC_TUNABLES: glibc malloc settings (lib/platform/runtime/allocator.ts): memory freed after a job goes back to the system; huge pages where glibc and the kernel offer them.
ENV NODE_ENV=production MALLOC_MMAP_THRESHOLD_=131072 MALLOC_ARENA_MAX=2 GLIBC_TUNABLES=glibc.malloc.hugetlb=1
CMD ["lib/platform/worker/lambda-entry.handler"]
