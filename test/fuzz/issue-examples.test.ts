/**
 * The examples of the hardening report (one per class of problem it found), each sent to `npm start` as a user runs
 * it: lib/platform/server/main.ts in a child process, once with the CI fake and once with the real engine on the
 * generated tiny model. Each example must get its documented answer (a 4xx in A1111's or FastAPI's error shape,
 * checked by reply-checks.ts) within a second, while GET /sdapi/v1/progress, polled all along, keeps answering; the
 * server's resident memory (VmRSS of /proc/<pid>/status, sampled every 50 ms) stays under 1 GB throughout.
 *
 * Two examples depend on a configured response cap (SERENA_MAX_RESPONSE_BYTES, always on in Lambda; the local
 * server has none by default): they run against servers started with Lambda's 5.5 MB. The auth example runs against
 * a server with SERENA_API_AUTH. The figures are printed at the end (`SERENA_FUZZ_STATS=0` silences them).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findRoute } from "../../lib/platform/server/router.ts";
import { gradientPng, withChunks, zTXt } from "../fixtures/images.ts";
import { replyProblems } from "./reply-checks.ts";

const MAIN = fileURLToPath(new URL("../../lib/platform/server/main.ts", import.meta.url));
const ANSWER_BOUND_MS = 1000;
const RSS_BOUND_BYTES = 1024 ** 3;
/** Lambda's cap (lib/platform/config.ts LAMBDA_RESPONSE_BYTES), set explicitly: the local default is none. */
const LAMBDA_CAP = "5500000";
const WEBHOOK_SECRET = "issue-examples-secret-0123456789";
const AUTH = "user:secret";

type ServerKind = "CI fake" | "real engine" | "CI fake, 5.5 MB cap" | "real engine, 5.5 MB cap" | "CI fake, auth";

function serverEnv(kind: ServerKind): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // The runner's own environment without CI and SERENA_*, as a user's shell would have it.
  for (const [key, value] of Object.entries(process.env)) if (key !== "CI" && !key.startsWith("SERENA_")) env[key] = value;
  Object.assign(env, { HOST: "127.0.0.1", PORT: "0", SERENA_LOG_LEVEL: "info", SERENA_WEBHOOK_SECRET: WEBHOOK_SECRET });
  if (kind.startsWith("CI fake")) env.CI = "true";
  if (kind.includes("cap")) env.SERENA_MAX_RESPONSE_BYTES = LAMBDA_CAP;
  if (kind.includes("auth")) env.SERENA_API_AUTH = AUTH;
  return env;
}

interface RunningServer {
  readonly kind: ServerKind;
  readonly child: ChildProcess;
  readonly url: string;
  readonly headers: Record<string, string>;
  maxRssBytes: number;
  maxProgressMs: number;
  progressFailures: number;
  readonly sampler: NodeJS.Timeout;
}

function rssBytes(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function startServer(kind: ServerKind): Promise<RunningServer> {
  const child = spawn(process.execPath, [MAIN], { env: serverEnv(kind), stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const line = output.split("\n").find((l) => l.includes('"serena listening"'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once("exit", (code) => reject(new Error(`${kind}: exited with ${code}: ${output}`)));
  });
  // Keep draining the log so that the child never blocks on a full pipe.
  child.stdout!.on("data", () => undefined);
  const headers: Record<string, string> = kind.includes("auth") ? { authorization: `Basic ${Buffer.from(AUTH).toString("base64")}` } : {};
  const server: RunningServer = {
    kind,
    child,
    url,
    headers,
    maxRssBytes: 0,
    maxProgressMs: 0,
    progressFailures: 0,
    sampler: setInterval(() => (server.maxRssBytes = Math.max(server.maxRssBytes, rssBytes(child.pid!))), 50),
  };
  return server;
}

async function stopServer(server: RunningServer | undefined): Promise<void> {
  if (!server) return;
  clearInterval(server.sampler);
  if (server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once("exit", resolve));
  server.child.kill("SIGTERM");
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
  if (server.child.exitCode === null) server.child.kill("SIGKILL");
}

/** Polls /progress every 50 ms until the returned function is called; records the slowest answer and failures. */
function pollProgress(server: RunningServer): () => Promise<void> {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const start = performance.now();
      try {
        const reply = await fetch(`${server.url}/sdapi/v1/progress?skip_current_image=true`, { headers: server.headers, signal: AbortSignal.timeout(5000) });
        await reply.text();
        if (reply.status !== 200) server.progressFailures++;
      } catch {
        server.progressFailures++;
      }
      server.maxProgressMs = Math.max(server.maxProgressMs, performance.now() - start);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

interface Reply {
  status: number;
  text: string;
  headers: Record<string, string>;
  ms: number;
}

async function send(server: RunningServer, method: string, path: string, body?: unknown, headers: Record<string, string> = server.headers): Promise<Reply> {
  const start = performance.now();
  const reply = await fetch(`${server.url}${path}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await reply.text();
  return { status: reply.status, text, headers: Object.fromEntries(reply.headers), ms: performance.now() - start };
}

/** The reply must be `status`, in the documented shape (reply-checks.ts), within ANSWER_BOUND_MS. */
function expectDocumented(reply: Reply, method: string, path: string, status: number | number[], what: string) {
  const match = findRoute(method, path.split("?", 1)[0]!);
  const route = typeof match === "string" ? null : match.route;
  const statuses = Array.isArray(status) ? status : [status];
  expect(statuses, `${what}: ${reply.status} ${reply.text.slice(0, 300)}`).toContain(reply.status);
  expect(replyProblems(reply, reply.ms, route, method), what).toEqual([]);
  expect(reply.ms, `${what}: answered in ${Math.round(reply.ms)} ms`).toBeLessThan(ANSWER_BOUND_MS);
}

/** Nested `depth` deep: [[[…]]]. */
const nestedJson = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

interface Fixtures {
  smallPng: string;
  zTxtBomb: string;
  png4096: string;
  halfPng: string;
  svg: string;
  textPng60M: string;
  noisePng1100: string;
  initImage4M: string;
}

async function buildFixtures(): Promise<Fixtures> {
  const small = await gradientPng(64, 64);
  const b64 = (bytes: Buffer) => bytes.toString("base64");
  // 4096² of one colour: a few KB of PNG that decodes to 48 MB (the report's 16 KB image).
  const png4096 = await sharp({ create: { width: 4096, height: 4096, channels: 3, background: "#808080" } }).png({ compressionLevel: 9 }).toBuffer();
  // Noise does not compress: 1100² RGB is a 3.6 MB PNG; 4 MB of init image as the report sent.
  const noise = (side: number) => Buffer.from(Array.from({ length: side * side * 3 }, (_, i) => (Math.imul(i + 1, 2654435761) >>> 24) & 0xff));
  const noisePng = (side: number) => sharp(noise(side), { raw: { width: side, height: side, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer();
  // 60 zTXt chunks of 1,000,000 characters each: 60 MB of text from a request of about 100 KB.
  const bigText = zTXt("c", "x".repeat(1_000_000));
  return {
    smallPng: b64(small),
    zTxtBomb: b64(withChunks(small, zTXt("parameters", "a".repeat(8_000_000)))),
    png4096: b64(png4096),
    halfPng: b64(small.subarray(0, small.length >> 1)),
    svg: b64(
      Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg" width="4096" height="4096"><filter id="f"><feTurbulence baseFrequency=".01" numOctaves="10"/></filter><rect width="100%" height="100%" filter="url(#f)"/></svg>',
      ),
    ),
    textPng60M: b64(withChunks(small, ...Array.from({ length: 60 }, () => bigText))),
    noisePng1100: b64(await noisePng(1100)),
    initImage4M: b64(await noisePng(1160)),
  };
}

const figures: string[] = [];
let fixtures: Fixtures;

beforeAll(async () => {
  fixtures = await buildFixtures();
}, 120_000);

afterAll(() => {
  if (process.env.SERENA_FUZZ_STATS !== "0") console.log(`issue examples against npm start:\n${figures.join("\n")}`);
});

/** Runs `examples` against a server of `kind`, with /progress polled throughout, and checks memory and /progress. */
function againstServer(kind: ServerKind, examples: (server: RunningServer, kind: ServerKind) => void) {
  describe(`npm start (${kind})`, () => {
    const holder: { server?: RunningServer; stopPolling?: () => Promise<void> } = {};
    // The examples are declared before the server starts: they reach it through this stand-in.
    const server = new Proxy({} as RunningServer, { get: (_, key) => (holder.server as unknown as Record<string | symbol, unknown>)[key] });
    beforeAll(async () => {
      holder.server = await startServer(kind);
      holder.stopPolling = pollProgress(holder.server);
    }, 60_000);
    afterAll(async () => {
      await holder.stopPolling?.();
      await stopServer(holder.server);
    }, 30_000);

    examples(server, kind);

    it("kept answering /progress within a second throughout, and its RSS stayed under 1 GB", async () => {
      const after = await send(server, "GET", "/sdapi/v1/progress");
      expect(after.status).toBe(200);
      figures.push(
        `  ${kind.padEnd(24)} max RSS ${(server.maxRssBytes / 2 ** 20).toFixed(0)} MiB, slowest /progress ${server.maxProgressMs.toFixed(0)} ms, /progress failures ${server.progressFailures}`,
      );
      expect(server.progressFailures).toBe(0);
      expect(server.maxProgressMs).toBeLessThan(ANSWER_BOUND_MS);
      expect(server.maxRssBytes).toBeGreaterThan(0);
      expect(server.maxRssBytes).toBeLessThan(RSS_BOUND_BYTES);
    });
  });
}

function everyExample(server: RunningServer, kind: ServerKind) {
  const post = (path: string, body: unknown) => send(server, "POST", path, body);
  const txt2img = { prompt: "a fox", steps: 2, width: 64, height: 64, seed: 1 };

  it("1. png-info with a zTXt `parameters` chunk inflating to 8,000,000 × 'a': 422", async () => {
    const reply = await post("/sdapi/v1/png-info", { image: fixtures.zTxtBomb });
    expectDocumented(reply, "POST", "/sdapi/v1/png-info", 422, "zTXt bomb");
  });

  it("2. extras with a 4096² PNG and upscaling_resize 8 (Lanczos): 422 before any allocation", async () => {
    // With the default upscaler_1 "None", A1111 returns the image as it is; an upscaler makes the ×8 real.
    const single = await post("/sdapi/v1/extra-single-image", { image: fixtures.png4096, upscaling_resize: 8, upscaler_1: "Lanczos" });
    expectDocumented(single, "POST", "/sdapi/v1/extra-single-image", 422, "extra-single-image ×8");
    const batch = await post("/sdapi/v1/extra-batch-images", { imageList: [{ data: fixtures.png4096, name: "a.png" }], upscaling_resize: 8, upscaler_1: "Lanczos" });
    expectDocumented(batch, "POST", "/sdapi/v1/extra-batch-images", 422, "extra-batch-images ×8");
  });

  it("3. webhooks to loopback (also as 0x7f000001), private and metadata addresses: 422 at submission, never called", async () => {
    // A listener on loopback counts the connections the server makes to it: there must be none.
    let connections = 0;
    const listener = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    const { port } = listener.address() as net.AddressInfo;
    try {
      const webhooks = [
        `http://127.0.0.1:${port}/hook`,
        `https://127.0.0.1:${port}/hook`,
        `https://0x7f000001:${port}/hook`,
        `https://[::ffff:127.0.0.1]:${port}/hook`,
        "https://10.0.0.1/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data/",
      ];
      for (const webhook of webhooks) {
        const reply = await post("/serena/v1/jobs", { type: "txt2img", request: txt2img, webhook });
        expectDocumented(reply, "POST", "/serena/v1/jobs", 422, webhook);
        expect(reply.text).toContain("webhook");
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(connections).toBe(0);
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });

  it("4. an option that would break every later img2img: 422 naming it, and img2img still works", async () => {
    const colour = await post("/sdapi/v1/options", { img2img_background_color: "not-a-colour" });
    expectDocumented(colour, "POST", "/sdapi/v1/options", 422, "img2img_background_color");
    expect(colour.text).toContain("img2img_background_color");
    const img2img = await post("/sdapi/v1/img2img", { ...txt2img, init_images: [fixtures.smallPng] });
    expect(img2img.status, img2img.text.slice(0, 300)).toBe(200);
  });

  // The default tiny model's text encoder has no transformer layers to take a clip skip from: the real engine refuses
  // it at POST /options (nothing stored), where it would otherwise break every later generation. The CI fake has no
  // model and serves any. A model that serves clip skip: test/api/clip-skip.test.ts.
  if (kind === "real engine") {
    it("4. a clip skip the model cannot serve: 422 at POST /options naming it, nothing stored, and txt2img still works", async () => {
      const clipSkip = await post("/sdapi/v1/options", { CLIP_stop_at_last_layers: 2 });
      expectDocumented(clipSkip, "POST", "/sdapi/v1/options", 422, "CLIP_stop_at_last_layers");
      const detail = (JSON.parse(clipSkip.text) as { detail: { loc: string[]; msg: string }[] }).detail;
      expect(detail.map((d) => d.loc)).toEqual([["body", "CLIP_stop_at_last_layers"]]);
      expect(detail[0]!.msg).toContain("cannot serve clip skip");
      const options = JSON.parse((await send(server, "GET", "/sdapi/v1/options")).text) as { CLIP_stop_at_last_layers: number };
      expect(options.CLIP_stop_at_last_layers).toBe(1);
      const after = await post("/sdapi/v1/txt2img", txt2img);
      expect(after.status, after.text.slice(0, 300)).toBe(200);
      expect((JSON.parse(after.text) as { info: string }).info).not.toContain("Clip skip");
    });
  } else {
    it("4. a clip skip set through /options is applied to later generations", async () => {
      try {
        const clipSkip = await post("/sdapi/v1/options", { CLIP_stop_at_last_layers: 2 });
        expect(clipSkip.status, clipSkip.text.slice(0, 300)).toBe(200);
        const after = await post("/sdapi/v1/txt2img", txt2img);
        expect(after.status, after.text.slice(0, 300)).toBe(200);
        expect((JSON.parse(after.text) as { info: string }).info).toContain("Clip skip: 2");
      } finally {
        expect((await post("/sdapi/v1/options", { CLIP_stop_at_last_layers: 1 })).status).toBe(200);
      }
    });
  }

  // The CI fake answers at once: only the real engine has a generation running long enough to queue behind.
  (kind === "real engine" ? it : it.skip)("5. with A running and B, C queued, /progress and /interrupt address A", async () => {
    interface Progress { state: { sampling_steps: number; job_count: number } }
    const progress = async () => JSON.parse((await send(server, "GET", "/sdapi/v1/progress?skip_current_image=true")).text) as Progress;
    // Told apart by their step counts. A (768², 150 steps, 8 batches) runs for several seconds on the tiny model, far
    // longer than the half second B and C take to queue (one batch alone can end within it on a fast machine); the
    // interrupt ends all of A, as in A1111. B and C (512², one batch) are sent one after the other, so that they queue
    // in that order (requests sent at once reach the queue in any order).
    const request = (steps: number, size: number, nIter = 1) =>
      post("/sdapi/v1/txt2img", { prompt: "a queue", seed: 1, steps, width: size, height: size, n_iter: nIter });
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const a = request(150, 768, 8);
    const deadline = Date.now() + 20_000;
    while ((await progress()).state.sampling_steps !== 150 && Date.now() < deadline) await pause(20);
    const b = request(149, 512);
    await pause(300);
    const c = request(148, 512);
    await pause(200);
    const during = await progress();
    expect(during.state.sampling_steps, "the running generation is A").toBe(150);
    expect((await post("/sdapi/v1/interrupt", {})).status).toBe(200);
    // Then B, then C, run to their ends: the order in which /progress shows them, and the highest step of each.
    const order: number[] = [];
    const highest = new Map<number, number>();
    const all = Promise.all([a, b, c]);
    let done = false;
    void all.finally(() => (done = true));
    while (!done) {
      const { state } = (await progress()) as Progress & { state: { sampling_step: number } };
      if (state.sampling_steps > 0 && order.at(-1) !== state.sampling_steps) order.push(state.sampling_steps);
      highest.set(state.sampling_steps, Math.max(highest.get(state.sampling_steps) ?? 0, state.sampling_step));
      await pause(20);
    }
    const [ra, rb, rc] = await all;
    for (const reply of [ra, rb, rc]) expect(reply.status, reply.text.slice(0, 300)).toBe(200);
    const info = (reply: Reply) => JSON.parse((JSON.parse(reply.text) as { info: string }).info) as { steps: number };
    expect([info(ra).steps, info(rb).steps, info(rc).steps]).toEqual([150, 149, 148]);
    expect(order.filter((steps) => steps !== 150), "after A: B, then C").toEqual([149, 148]);
    expect(highest.get(149), "B ran on after A was interrupted").toBeGreaterThan(100);
    expect(highest.get(148), "C ran after B").toBeGreaterThan(100);
    figures.push(`  ${kind.padEnd(24)} A running, B and C queued: /progress showed A (150 steps); after /interrupt, B reached step ${highest.get(149)}/149, then C ${highest.get(148)}/148`);
  }, 60_000);

  it("6. 100 img2img jobs with 4 MB init images and no bucket: accepted or 429, memory bounded", async () => {
    const statuses = new Map<number, number>();
    for (let i = 0; i < 100; i++) {
      const reply = await post("/serena/v1/jobs", { type: "img2img", request: { ...txt2img, steps: 1, init_images: [fixtures.initImage4M] } });
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      expect([202, 429], reply.text.slice(0, 300)).toContain(reply.status);
      if (reply.status === 429) expect(reply.headers["retry-after"]).toMatch(/^\d+$/);
    }
    figures.push(`  ${server.kind.padEnd(24)} 100 jobs with 4 MB init images: ${[...statuses].map(([s, n]) => `${s}×${n}`).join(" ")}`);
  }, 180_000);

  it("7. a 235-byte SVG (feTurbulence, 4096²): 422 (not a format Serena decodes)", async () => {
    const info = await post("/sdapi/v1/png-info", { image: fixtures.svg });
    expectDocumented(info, "POST", "/sdapi/v1/png-info", 422, "svg png-info");
    const img2img = await post("/sdapi/v1/img2img", { ...txt2img, init_images: [fixtures.svg] });
    expectDocumented(img2img, "POST", "/sdapi/v1/img2img", 422, "svg img2img");
    const extras = await post("/sdapi/v1/extra-single-image", { image: fixtures.svg });
    expectDocumented(extras, "POST", "/sdapi/v1/extra-single-image", 422, "svg extras");
  });

  it("8. client mistakes: a PNG cut in half, a bad escape in a path, JSON nested 5,000 deep, the prompt (a:.): 4xx", async () => {
    const half = fixtures.halfPng;
    expectDocumented(await post("/sdapi/v1/png-info", { image: half }), "POST", "/sdapi/v1/png-info", 422, "half png-info");
    expectDocumented(await post("/sdapi/v1/extra-single-image", { image: half }), "POST", "/sdapi/v1/extra-single-image", 422, "half extras");
    expectDocumented(await post("/sdapi/v1/img2img", { ...txt2img, init_images: [half] }), "POST", "/sdapi/v1/img2img", 422, "half img2img");
    const job = await post("/serena/v1/jobs", { type: "img2img", request: { ...txt2img, init_images: [half] } });
    expectDocumented(job, "POST", "/serena/v1/jobs", 422, "half job (refused at submission, not accepted with 202)");
    expectDocumented(await send(server, "GET", "/serena/v1/jobs/%25"), "GET", "/serena/v1/jobs/%25", [400, 404], "jobs/%25");
    const deep = nestedJson(5000);
    for (const field of ["comments", "script_args"]) {
      const reply = await post("/sdapi/v1/txt2img", `{"prompt":"a","steps":1,"width":64,"height":64,"${field}":${deep}}`);
      expectDocumented(reply, "POST", "/sdapi/v1/txt2img", 422, `${field} nested 5000 deep`);
    }
    const weight = await post("/sdapi/v1/txt2img", { ...txt2img, prompt: "(a:.)" });
    expect([200, 422], weight.text.slice(0, 300)).toContain(weight.status);
    if (weight.status === 422) expectDocumented(weight, "POST", "/sdapi/v1/txt2img", 422, "(a:.)");
    const weightJob = await post("/serena/v1/jobs", { type: "txt2img", request: { ...txt2img, prompt: "(a:.)" } });
    expect(weightJob.status, "an async job answers as the route does").toBe(weight.status === 200 ? 202 : 422);
  });

  it("9. png-info of an image whose text chunks inflate to 60 MB: 422", async () => {
    expect(fixtures.textPng60M.length).toBeLessThan(200_000);
    const reply = await post("/sdapi/v1/png-info", { image: fixtures.textPng60M });
    expectDocumented(reply, "POST", "/sdapi/v1/png-info", 422, "60 MB of text");
  });

  it("11. a <lora:…> tag for a network that is not available: 422 naming it", async () => {
    const reply = await post("/sdapi/v1/txt2img", { ...txt2img, prompt: "a fox <lora:not-there:0.8>" });
    expectDocumented(reply, "POST", "/sdapi/v1/txt2img", 422, "lora");
    expect(reply.text).toContain("not-there");
  });
}

function cappedExamples(server: RunningServer) {
  it("2. txt2img 1024², 150 steps, n_iter 4 with Lambda's cap: 413 before generating", async () => {
    const reply = await send(server, "POST", "/sdapi/v1/txt2img", { prompt: "a harbour", width: 1024, height: 1024, steps: 150, n_iter: 4 });
    expectDocumented(reply, "POST", "/sdapi/v1/txt2img", 413, "1024² × 4");
    expect(reply.text).toContain("SERENA_MAX_RESPONSE_BYTES");
  });

  it("9. extras whose result passes the cap: 413 naming SERENA_MAX_RESPONSE_BYTES", async () => {
    // 1100² of noise upscaled ×1.5: a PNG of about 6.8 MB, 9 MB in base64, refused from an estimate before upscaling.
    const reply = await send(server, "POST", "/sdapi/v1/extra-single-image", { image: fixtures.noisePng1100, upscaling_resize: 1.5, upscaler_1: "Lanczos" });
    expectDocumented(reply, "POST", "/sdapi/v1/extra-single-image", 413, "extras past the cap");
    expect(reply.text).toContain("estimated before upscaling");
    figures.push(`  ${server.kind.padEnd(24)} extras past the cap: 413 after ${Math.round(reply.ms)} ms (estimated before upscaling)`);
  });
}

/** A request's headers written to a socket, its body held back: the answer must come without it. */
function answerWithoutBody(url: string, method: string, path: string, declaredBytes: number): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(`${method} ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${declaredBytes}\r\n\r\n`);
    });
    let text = "";
    socket.setTimeout(5000, () => {
      socket.destroy();
      reject(new Error(`no answer without the body: ${text}`));
    });
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      if (text.includes("\r\n\r\n")) {
        socket.destroy();
        resolve(text.split("\r\n", 1)[0]!);
      }
    });
    socket.on("error", reject);
  });
}

function authExamples(server: RunningServer) {
  it("10. with auth on: 401 before the body is read, for known and unknown paths alike", async () => {
    const statusLines = await Promise.all(
      Array.from({ length: 30 }, (_, i) => answerWithoutBody(server.url, "POST", i % 2 ? "/sdapi/v1/txt2img" : "/no/such/route", 9 * 1024 * 1024)),
    );
    expect(new Set(statusLines)).toEqual(new Set(["HTTP/1.1 401 Unauthorized"]));
    for (const [method, path] of [["GET", "/sdapi/v1/sd-models"], ["DELETE", "/sdapi/v1/sd-models"], ["GET", "/nothing/here"]] as const) {
      const reply = await send(server, method, path, undefined, {});
      expect(reply.status, `${method} ${path}`).toBe(401);
      expect(reply.ms).toBeLessThan(ANSWER_BOUND_MS);
    }
  });
}

againstServer("CI fake", everyExample);
againstServer("real engine", everyExample);
againstServer("CI fake, 5.5 MB cap", cappedExamples);
againstServer("real engine, 5.5 MB cap", cappedExamples);
againstServer("CI fake, auth", authExamples);
