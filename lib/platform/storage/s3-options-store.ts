/**
 * `/sdapi/v1/options` shared by every function instance: the changed settings live in `state/options.json` and are
 * read on every use (one small GET), so a POST /options reaches the next request whichever instance serves it.
 * Concurrent updates merge with what is stored at the time, key by key; the last writer of a key wins. Stored keys
 * that no longer exist or no longer validate (an older deployment wrote them) are ignored.
 */
import type { OptionsStore } from "../../a1111/routes/context.ts";
import { isOptionKey, Options, parseOption } from "../../a1111/schemas/options.ts";
import type { ObjectStorage } from "./object-storage.ts";

export const OPTIONS_KEY = "state/options.json";

export function createS3OptionsStore(storage: ObjectStorage): OptionsStore {
  const defaults = Options.parse({});
  async function stored(): Promise<Partial<Options>> {
    const raw = (await storage.getJson<Record<string, unknown>>(OPTIONS_KEY)) ?? {};
    const valid: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(raw)) {
      if (!isOptionKey(key)) continue;
      const parsed = parseOption(key, value);
      if (parsed.success) valid[key] = parsed.data;
    }
    return valid as Partial<Options>;
  }
  return {
    async get() {
      return { ...defaults, ...(await stored()) };
    },
    async update(patch) {
      const next = { ...(await stored()), ...patch };
      await storage.putJson(OPTIONS_KEY, next);
      return { ...defaults, ...next };
    },
  };
}
