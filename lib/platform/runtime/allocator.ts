/**
 * glibc malloc settings for the processes that run the engine (docs/engine.md "Memory").
 *
 * glibc raises its mmap threshold each time a large block is freed (up to 32 MB), so after the first jobs the buffers
 * onnxruntime, sharp and the engine free come back to the heap rather than to the system, and the resident set keeps
 * the largest mix of sizes it ever held; releasing a model does not return it either. A fixed threshold of 128 KiB
 * (glibc's starting value) keeps large blocks in their own mappings, which go back to the system when freed, and two
 * malloc arenas instead of eight per core keep the threads' free lists from holding memory apart. onnxruntime's own
 * arena still reuses its buffers between steps, so sampling speed does not change (`npm run bench`).
 *
 * `glibc.malloc.hugetlb=1` (glibc 2.35 and later; older ones, such as the 2.34 of the Lambda base image, ignore it)
 * asks for transparent huge pages on those mappings where the kernel offers them on request: memory is faulted in
 * 2 MB at a time instead of 4 kB. Opening the full-size SD 1.5 UNet (3.4 GB) took 10.3–10.8 s instead of 36.6–41.4 s,
 * and `sd15-mid`'s first VAE decode at 512² after a load 0.4–0.7 s instead of 0.9–1.0 s (same speed afterwards, same
 * resident set).
 *
 * glibc reads these variables once, when the process starts, so an entry point that finds them unset starts itself
 * again with them (`process.execve`: the same process id, arguments, streams and environment otherwise). Values set
 * by the caller are kept; `SERENA_MALLOC_TUNING=0` leaves the allocator alone. Only on Linux: other systems' allocators
 * do not read these variables. The inference container image sets them itself (infra/worker.Dockerfile).
 */
export const MALLOC_SETTINGS: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: String(128 * 1024),
  MALLOC_ARENA_MAX: "2",
  GLIBC_TUNABLES: "glibc.malloc.hugetlb=1",
};

/** The environment to start the process with, or null when it already has the settings (or should not get them). */
export function allocatorEnvironment(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): NodeJS.ProcessEnv | null {
  if (platform !== "linux" || env["SERENA_MALLOC_TUNING"] === "0") return null;
  const missing = Object.entries(MALLOC_SETTINGS).filter(([name]) => env[name] === undefined);
  if (missing.length === 0) return null;
  return { ...env, ...Object.fromEntries(missing) };
}

/**
 * Called first by `npm start`, `serena serve` and `npm run worker`: replaces this process with one started with the
 * malloc settings when they are missing; returns (and the entry point goes on) when they are in place.
 */
export function startWithAllocatorSettings(): void {
  const env = allocatorEnvironment(process.env, process.platform);
  if (env === null || typeof process.execve !== "function") return;
  try {
    process.execve(process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], env as Record<string, string>);
  } catch {
    // A sandbox that forbids exec: go on with the allocator as it is (memory comes back less readily, nothing else).
  }
}
