/**
 * The CI fake: when CI is "true", generation routes get the fake inference backend in place of the configured one
 * (async jobs they submit run on it too). It runs after validation and swaps a dependency rather than answering
 * early, so every other middleware (auth, errors, headers, logging) runs exactly as in production; the response says
 * it is fake.
 */
import type { InferenceBackend } from "../../../a1111/backend.ts";
import { createJobsService } from "../../jobs/service.ts";
import type { RouteMiddleware } from "../context.ts";

export const FAKE_HEADER = "x-serena-fake-inference";
/** Imported when CI=true first asks for it: the fake engine brings sharp and the A1111 edge, which deployed functions do not load. */
let fake: InferenceBackend | null = null;

export function ciFake(): RouteMiddleware {
  return {
    async before(request) {
      const ctx = request.context;
      if (!ctx.platform.config.ciFake) return;
      fake ??= (await import("../../inference/fake-backend.ts")).createFakeBackend();
      ctx.backend = fake;
      const platform = ctx.platform;
      ctx.services = { ...platform, jobs: createJobsService(() => platform, fake!) };
    },
    after(request) {
      if (fake !== null && request.context.backend === fake && request.response) {
        request.response.headers[FAKE_HEADER] = "true; deterministic placeholder images, no model ran";
      }
    },
  };
}

/**
 * Routes that check settings against the model generations run on (POST /options and clip skip): under CI=true
 * generations run on the CI fake, which serves every clip skip, so the configured backend is not asked about one (nor
 * made to load its model for the question). Everything else stays the configured backend's, as without CI.
 */
export function ciFakeSettings(): RouteMiddleware {
  return {
    before(request) {
      const ctx = request.context;
      if (!ctx.platform.config.ciFake || !ctx.backend.clipSkipSupport) return;
      ctx.backend = { ...ctx.backend, clipSkipSupport: undefined };
    },
  };
}
