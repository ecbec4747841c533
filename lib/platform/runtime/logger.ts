/** Structured JSON logs (Powertools for AWS Lambda Logger): one line per request with its request id. */
import { Logger } from "@aws-lambda-powertools/logger";
import type { Config } from "../config.ts";

export type { Logger };

export function createLogger(config: Pick<Config, "logLevel">): Logger {
  return new Logger({
    serviceName: "serena",
    logLevel: config.logLevel === "silent" ? "SILENT" : (config.logLevel.toUpperCase() as "DEBUG" | "INFO" | "WARN" | "ERROR"),
  });
}
