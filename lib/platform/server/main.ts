/** `npm start`: serve every route on HOST:PORT (127.0.0.1:7860 by default, A1111's port) until SIGINT/SIGTERM. */
import { getConfig } from "../config.ts";
import { getServices } from "../runtime/services.ts";
import { createServer, listen } from "./server.ts";

const config = getConfig();
const services = getServices();
const server = createServer(services);
const { host, port } = await listen(server, config.host, config.port);
services.logger.info("serena listening", {
  url: `http://${host}:${port}`,
  backend: config.ciFake ? `${services.backend.name} (txt2img/img2img answered by the CI fake)` : services.backend.name,
});

let closing = false;
function shutdown(signal: string) {
  if (closing) return;
  closing = true;
  services.logger.info("shutting down", { signal });
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 5000).unref();
}
process.on("SIGINT", () => shutdown("SIGINT"));
process.on("SIGTERM", () => shutdown("SIGTERM"));
