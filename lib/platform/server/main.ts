/**
 * `npm start`: serve every route on HOST:PORT (127.0.0.1:7860 by default, A1111's port) until SIGINT/SIGTERM.
 * The same start as `serena serve` without flags (startup.ts): configuration and model folders checked first, one
 * line and a non-zero exit for a problem, a banner once listening. On Linux the process first starts itself again
 * with the malloc settings the engine's memory figures were measured with (../runtime/allocator.ts), before it
 * loads anything else.
 */
import { startWithAllocatorSettings } from "../runtime/allocator.ts";

startWithAllocatorSettings();
const { exitWithStartupError, readConfig, startServer } = await import("./startup.ts");

try {
  await startServer(readConfig(process.env), { exitOnSignal: true });
} catch (error) {
  exitWithStartupError(error);
}
