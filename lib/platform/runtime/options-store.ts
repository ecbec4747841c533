/**
 * Settings as `/sdapi/v1/options` shows and changes them. A1111 keeps them in config.json; Serena keeps them
 * per process (local server, one warm function) behind this interface, so a shared store can replace it.
 */
import { Options, type OptionKey } from "../../a1111/schemas/options.ts";

export interface OptionsStore {
  get(): Promise<Options>;
  update(patch: Partial<Options>): Promise<Options>;
}

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

/** Options with a request's `override_settings` applied (already validated), for one generation. */
export function withOverrides(options: Options, overrides: Partial<Record<OptionKey, unknown>>): Options {
  return { ...options, ...overrides } as Options;
}
