#!/usr/bin/env node
/**
 * The `serena` command (package.json "bin"). Serena's code is TypeScript run by Node 24's type stripping, so under an
 * older Node (the machine's own, when `npx` does not put the project's first on PATH) this shim re-runs itself with
 * the Node 24 the project installs from npm (devDependency "node"), passing arguments, standard streams, the exit
 * code and Ctrl-C through. Plain JavaScript that Node 18 and later parse.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import process from "node:process";
import { fileURLToPath, URL } from "node:url";

const MAIN = new URL("../lib/platform/cli/main.ts", import.meta.url);
const major = Number(process.versions.node.split(".")[0]);

/** The project's Node binary: node_modules/node/bin/node, wherever npm placed the package. */
function projectNode() {
  try {
    const manifest = createRequire(import.meta.url).resolve("node/package.json");
    const binary = path.join(path.dirname(manifest), "bin", process.platform === "win32" ? "node.exe" : "node");
    return existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

if (major >= 24) {
  // The server runs the engine: it first starts itself again with the malloc settings (lib/platform/runtime/allocator.ts).
  if (process.argv[2] === "serve") (await import(new URL("../lib/platform/runtime/allocator.ts", import.meta.url).href)).startWithAllocatorSettings();
  const { main } = await import(MAIN.href);
  await main(process.argv.slice(2));
} else {
  const node = projectNode();
  if (!node) {
    process.stderr.write(`serena: needs Node.js 24 or later (this is ${process.version}); run \`npm ci\` in the project to install its Node 24\n`);
    process.exit(1);
  }
  const child = spawn(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
  // The terminal sends Ctrl-C to the whole process group, the child included; other signals are passed on.
  for (const signal of ["SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  process.on("SIGINT", () => undefined);
  child.on("exit", (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
}
