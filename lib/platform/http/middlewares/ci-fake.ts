/**
 * The CI fake: when CI is "true", generation routes get the fake inference backend in place of the configured one
 * (async jobs they submit run on it too). It runs after validation and swaps a dependency rather than answering
 * early, so every other middleware (auth, errors, headers, logging) runs exactly as in production; the response says
 * it is fake.
 */
import { createJobsService } from "../../jobs/service.ts";
import { createFakeBackend } from "../../inference/fake-backend.ts";
import type { RouteMiddleware } from "../context.ts";

export const FAKE_HEADER = "x-serena-fake-inference";
const fake = createFakeBackend();

export function ciFake(): RouteMiddleware {
  return {
    before(request) {
      const ctx = request.context;
      if (!ctx.platform.config.ciFake) return;
      ctx.backend = fake;
      const platform = ctx.platform;
      ctx.services = { ...platform, jobs: createJobsService(() => platform, fake) };
    },
    after(request) {
      if (request.context.backend === fake && request.response) {
        request.response.headers[FAKE_HEADER] = "true; deterministic placeholder images, no model ran";
      }
    },
  };
}
