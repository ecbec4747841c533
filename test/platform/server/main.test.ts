/**
 * `npm start` (lib/platform/server/main.ts) as a user runs it: a child process that logs where it listens, answers, and exits
 * cleanly on SIGTERM.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("../../../lib/platform/server/main.ts", import.meta.url));

describe("npm start", () => {
  it("listens where it logs, serves the API and exits 0 on SIGTERM", async () => {
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, PORT: "0", HOST: "127.0.0.1", CI: "true", SERENA_BACKEND: "none", SERENA_LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let output = "";
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          output += chunk.toString("utf8");
          const line = output.split("\n").find((l) => l.includes('"serena listening"'));
          if (line) resolve((JSON.parse(line) as { url: string }).url);
        });
        child.once("exit", (code) => reject(new Error(`exited with ${code}: ${output}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const reply = await fetch(`${url}/sdapi/v1/txt2img`, { method: "POST", body: JSON.stringify({ seed: 1, width: 64, height: 64 }) });
      expect(reply.status).toBe(200);
      expect(reply.headers.get("x-serena-fake-inference")).toMatch(/^true/);
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const [code] = await exited;
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
