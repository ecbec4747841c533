/**
 * `npm start`: serve every route on HOST:PORT (127.0.0.1:7860 by default, A1111's port) until SIGINT/SIGTERM.
 * The same start as `serena serve` without flags (startup.ts): configuration and model folders checked first, one
 * line and a non-zero exit for a problem, a banner once listening.
 */
import { exitOnSignal, exitWithStartupError, readConfig, startServer } from "./startup.ts";

try {
  exitOnSignal(await startServer(readConfig(process.env)));
} catch (error) {
  exitWithStartupError(error);
}
