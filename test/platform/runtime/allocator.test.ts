import { describe, expect, it } from "vitest";
import { allocatorEnvironment, MALLOC_SETTINGS } from "../../../lib/platform/runtime/allocator.ts";

describe("allocatorEnvironment", () => {
  it("adds the missing malloc settings on Linux and keeps everything else", () => {
    const env = allocatorEnvironment({ PATH: "/bin", MALLOC_ARENA_MAX: "8" }, "linux");
    expect(env).toEqual({
      PATH: "/bin",
      MALLOC_ARENA_MAX: "8",
      MALLOC_MMAP_THRESHOLD_: MALLOC_SETTINGS["MALLOC_MMAP_THRESHOLD_"],
      GLIBC_TUNABLES: MALLOC_SETTINGS["GLIBC_TUNABLES"],
    });
  });

  it("asks for no restart when every setting is there, off Linux, or when turned off", () => {
    expect(allocatorEnvironment({ ...MALLOC_SETTINGS }, "linux")).toBeNull();
    expect(allocatorEnvironment({}, "darwin")).toBeNull();
    expect(allocatorEnvironment({}, "win32")).toBeNull();
    expect(allocatorEnvironment({ SERENA_MALLOC_TUNING: "0" }, "linux")).toBeNull();
    expect(allocatorEnvironment({ SERENA_MALLOC_TUNING: "1" }, "linux")).not.toBeNull();
  });
});
