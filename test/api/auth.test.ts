/**
 * HTTP Basic auth with A1111's `--api-auth` semantics (docs/a1111-semantics.md §3.2, §9.14): `user:pass,user2:pass2`, 401 in
 * A1111's error shape with its three messages. Serena protects every route, /internal/ping included.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { HTTPErrorBody } from "../../lib/a1111/schemas/errors.ts";
import { ROUTES, type RouteName } from "../../lib/a1111/routes/table.ts";
import { apiClient, expectCleanError, type ApiClient } from "../fixtures/api.ts";
import type { EventVersion } from "../fixtures/events.ts";
import type { Services } from "../../lib/platform/runtime/services.ts";
import { sampleRequests, sampleUrl, type SampleRequest } from "../fixtures/sample-requests.ts";
import { ciServices } from "../fixtures/services.ts";

const basic = (credentials: string) => `Basic ${Buffer.from(credentials, "utf8").toString("base64")}`;
const client = apiClient(ciServices({ SERENA_API_AUTH: "u:p,u2:p2" }));

async function expect401(authorization: string | undefined, detail: string) {
  const reply = await client.get("/sdapi/v1/options", { headers: authorization === undefined ? {} : { authorization } });
  expectCleanError(reply, 401);
  // HTTPException raised with keyword arguments: str(e) is "", so errors is "" (§3.1).
  expect(HTTPErrorBody.parse(reply.json())).toEqual({ error: "HTTPException", detail, body: "", errors: "" });
}

describe("refusals", () => {
  it("no Authorization header: 'Not authenticated'", () => expect401(undefined, "Not authenticated"));

  it.each([
    ["another scheme", "Bearer abc"],
    ["no credentials", "Basic"],
    ["not base64", "Basic !!!not-base64!!!"],
    ["no colon", basic("justauser")],
  ])("malformed (%s): 'Invalid authentication credentials'", (_name, header) =>
    expect401(header, "Invalid authentication credentials"),
  );

  it.each([
    ["wrong password", "u:wrong"],
    ["unknown user", "nobody:p"],
    ["another user's password", "u:p2"],
    ["empty credentials", ":"],
  ])("%s: 'Incorrect username or password'", (_name, credentials) =>
    expect401(basic(credentials), "Incorrect username or password"),
  );

  it("refuses before reading the body: an unauthenticated malformed body is 401, not 422", async () => {
    const reply = await client.post("/sdapi/v1/txt2img", "{bad json");
    expectCleanError(reply, 401);
  });
});

describe("acceptance", () => {
  it("accepts every configured user, with the scheme in any case", async () => {
    for (const authorization of [basic("u:p"), basic("u2:p2"), `basic ${basic("u:p").slice(6)}`]) {
      expect((await client.get("/sdapi/v1/options", { headers: { authorization } })).status).toBe(200);
    }
  });

  it("accepts a password containing non-ASCII characters", async () => {
    const unicode = apiClient(ciServices({ SERENA_API_AUTH: "zoë:pässwörd" }));
    const reply = await unicode.get("/sdapi/v1/samplers", { headers: { authorization: basic("zoë:pässwörd") } });
    expect(reply.status).toBe(200);
  });
});

describe.each<EventVersion>(["v2", "v1"])("every route behind auth, %s events", (version) => {
  let samples: Record<RouteName, SampleRequest>;
  let services: Services;
  let authed: ApiClient;
  beforeAll(async () => {
    samples = await sampleRequests();
    services = ciServices({ SERENA_API_AUTH: "u:p,u2:p2" });
    // REST APIs pass header names as the client wrote them.
    authed = apiClient(services, { version, headers: { Authorization: basic("u2:p2") } });
  });

  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))("%s: 401 without, success with credentials", async (_name, route) => {
    const sample = samples[route.file as RouteName];
    const url = await sampleUrl(route.path, sample, services);
    expectCleanError(await client.send(route.method, url, sample.body, { version }), 401);
    const reply = await authed.send(route.method, url, sample.body);
    expect(reply.status, reply.text.slice(0, 300)).toBe(sample.status ?? route.status ?? 200);
  });
});
