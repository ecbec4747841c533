/**
 * The JSON log lines this process writes while a test runs. Powertools' Logger prints through a Console on
 * process.stdout and process.stderr (Logger.initConsole; warnings and errors go to stderr), so its lines are taken at
 * both streams' `write`; anything that is not a JSON object line is passed through.
 */
import { vi } from "vitest";

export type LogLine = Record<string, unknown> & { message?: string; level?: string };

export interface LogCapture {
  /** Every line so far, parsed. */
  lines(): LogLine[];
  /** Lines with this message. */
  find(message: string): LogLine[];
  /** The raw text of every captured line, for "never contains" checks. */
  text(): string;
  restore(): void;
}

export function captureLogs(): LogCapture {
  const raw: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) => {
    const write = stream.write.bind(stream);
    return vi.spyOn(stream, "write").mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      if (text.trimStart().startsWith("{")) {
        raw.push(...text.split("\n").filter((line) => line.trim() !== ""));
        return true;
      }
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write);
  });
  const lines = () => raw.map((line) => JSON.parse(line) as LogLine);
  return {
    lines,
    find: (message) => lines().filter((l) => l.message === message),
    text: () => raw.join("\n"),
    restore: () => spies.forEach((spy) => spy.mockRestore()),
  };
}
