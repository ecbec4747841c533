import { describe, expect, it, vi } from "vitest";
import { createFakeBackend } from "../../../lib/platform/inference/fake-backend.ts";
import type { WorkerDeps } from "../../../lib/platform/worker/handle-request.ts";
import { createLambdaHandler } from "../../../lib/platform/worker/lambda-handler.ts";

const fakeDeps = async (): Promise<WorkerDeps> => ({ backend: createFakeBackend(), storage: null });

describe("the inference function's dependencies", () => {
  it("are built on the first invocation and kept for the life of the container", async () => {
    const build = vi.fn(fakeDeps);
    const handler = createLambdaHandler(build);
    expect(build).not.toHaveBeenCalled();
    const first = await handler({ type: "models" });
    const second = await handler({ type: "txt2img", request: { prompt: "a cat", steps: 1, width: 64, height: 64 } });
    expect(first.ok && second.ok).toBe(true);
    expect(build).toHaveBeenCalledTimes(1);
  });

  it("that fail to build make the invocation throw (an Unhandled function error), and the next one tries again", async () => {
    const build = vi.fn(fakeDeps).mockRejectedValueOnce(new Error("model download failed"));
    const handler = createLambdaHandler(build);
    await expect(handler({ type: "models" })).rejects.toThrow("model download failed");
    expect((await handler({ type: "models" })).ok).toBe(true);
    expect(build).toHaveBeenCalledTimes(2);
  });
});

describe("job failures", () => {
  it("are answered, not thrown: a bad request is an ok:false 422", async () => {
    const response = await createLambdaHandler(fakeDeps)({ type: "txt2img", request: { steps: "many" } });
    expect(response).toEqual({
      ok: false,
      // pydantic v1's message for a non-integer (docs/a1111-semantics.md §3.1).
      error: { type: "validation", issues: [{ loc: ["body", "steps"], msg: "value is not a valid integer", type: "type_error.integer" }] },
    });
  });
});
