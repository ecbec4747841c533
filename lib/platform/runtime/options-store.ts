/**
 * Settings kept in this process's memory (the local server, one warm function without a bucket). With a bucket they
 * live in it instead (storage/s3-options-store.ts), so every instance shares them.
 */
import type { OptionsStore } from "../../a1111/routes/context.ts";
import { Options } from "../../a1111/schemas/options.ts";

export function createMemoryOptionsStore(initial: Partial<Options> = {}): OptionsStore {
  let current: Options = { ...Options.parse({}), ...initial };
  return {
    async get() {
      return current;
    },
    async update(patch) {
      current = { ...current, ...patch };
      return current;
    },
  };
}
