/**
 * Requests for every route of the route table (lib/a1111/routes/table.ts), generated from its valid sample
 * (test/fixtures/sample-requests.ts) by mutation: fields set to hostile values chosen by what the field holds
 * (images, prompts, sizes, free-form JSON…), fields dropped or added, the whole body replaced by another JSON value
 * or by bytes that are not JSON, odd query strings and path parameters, odd headers, both API Gateway event
 * versions. Values that would be valid are kept small, so that the CI fake and the Extras resizes stay cheap: the
 * point is malformed input, not large work.
 */
import fc from "fast-check";
import type { RouteDefinition, RouteName } from "../../lib/a1111/routes/table.ts";
import { ExtrasBatchImagesRequest, ExtrasSingleImageRequest } from "../../lib/a1111/schemas/images.ts";
import { img2imgShape, txt2imgShape } from "../../lib/a1111/schemas/generation.ts";
import { Options } from "../../lib/a1111/schemas/options.ts";
import type { SampleRequest } from "../fixtures/sample-requests.ts";
import { imageValue, type ImageFile } from "./hostile-images.ts";
import { deepJson, longString, nestedJson, oddJson, oddNumber, oddString, promptText, wideJson } from "./hostile-values.ts";

/** One request as the fuzz sends it. */
export interface FuzzRequest {
  /** The route's name, or a label for requests that match no route. */
  readonly group: string;
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  readonly version: "v1" | "v2";
}

const clip = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text);

/** A FuzzRequest with a short printed form, so fast-check's report stays readable whatever the body holds. */
export function fuzzRequest(request: FuzzRequest): FuzzRequest {
  const body = request.body === undefined ? "" : clip(Buffer.isBuffer(request.body) ? `<${request.body.length} bytes>` : JSON.stringify(request.body));
  return Object.assign(request, {
    [fc.toStringMethod]: () => `${request.method} ${clip(JSON.stringify(request.url), 200)} ${request.version} headers=${clip(JSON.stringify(request.headers), 200)} body=${body}`,
  });
}

/**
 * JSON text of any value, however deep, without recursion (JSON.stringify overflows the stack a few thousand
 * levels down). Same output as JSON.stringify for the values the generators make.
 */
export function toJson(value: unknown): string {
  const out: string[] = [];
  type Frame = { kind: "value"; value: unknown } | { kind: "text"; text: string };
  const stack: Frame[] = [{ kind: "value", value }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if (frame.kind === "text") {
      out.push(frame.text);
      continue;
    }
    const v = frame.value;
    if (v === null || typeof v !== "object") {
      out.push(JSON.stringify(v) ?? "null");
      continue;
    }
    const entries: Array<[string | null, unknown]> = Array.isArray(v) ? v.map((item) => [null, item]) : Object.entries(v);
    const frames: Frame[] = [{ kind: "text", text: Array.isArray(v) ? "[" : "{" }];
    entries.forEach(([key, item], i) => {
      if (i > 0) frames.push({ kind: "text", text: "," });
      if (key !== null) frames.push({ kind: "text", text: `${JSON.stringify(key)}:` });
      frames.push({ kind: "value", value: item });
    });
    frames.push({ kind: "text", text: Array.isArray(v) ? "]" : "}" });
    for (let i = frames.length - 1; i >= 0; i--) stack.push(frames[i]!);
  }
  return out.join("");
}

const IMAGE_FIELDS = new Set(["image", "mask", "firstpass_image", "latent_mask"]);
const PROMPT_FIELDS = new Set(["prompt", "negative_prompt", "hr_prompt", "hr_negative_prompt"]);
const SIZE_FIELDS = new Set(["width", "height", "hr_resize_x", "hr_resize_y", "firstphase_width", "firstphase_height", "seed_resize_from_w", "seed_resize_from_h"]);
const FREE_FORM_FIELDS = new Set(["override_settings", "comments", "alwayson_scripts", "script_args"]);

/** Small sizes that are valid, and sizes that are not. */
const sizeValue = fc.oneof(fc.constantFrom(64, 72, 128, 200, 0, -1, 63, 2049, 100_000, "128", 128.9, null), oddNumber);
const countValue = fc.oneof(fc.constantFrom(1, 2, 3, 0, -1, 17, 33, 1000, "2", 1.5, null, true), oddNumber);

/** override_settings values: real option names with odd values, unknown names, and hostile JSON. */
function overrideSettings(optionKeys: readonly string[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.dictionary(fc.constantFrom(...optionKeys), oddJson, { maxKeys: 3 }),
    fc.constantFrom(
      { samples_format: "jpg" },
      { samples_format: "webp", webp_lossless: true },
      { samples_format: "svg" },
      { emphasis: "None" },
      { emphasis: "No norm" },
      { sd_model_checkpoint: "../../etc/passwd" },
      { sd_model_checkpoint: "\u0000" },
      { CLIP_stop_at_last_layers: 12 },
      { jpeg_quality: 1000 },
      { eta_noise_seed_delta: -1 },
      { img2img_background_color: "not a colour" },
      { img2img_background_color: "#zzzzzz" },
    ),
    deepJson,
    wideJson,
    oddJson,
  );
}

/** The value a mutation puts in `field`, by what the field holds. */
function fieldValue(field: string, images: fc.Arbitrary<string>, optionKeys: readonly string[]): fc.Arbitrary<unknown> {
  if (IMAGE_FIELDS.has(field)) return fc.oneof({ arbitrary: images, weight: 4 }, { arbitrary: oddJson, weight: 1 });
  if (field === "init_images") return fc.oneof({ arbitrary: fc.array(images, { maxLength: 3 }), weight: 4 }, { arbitrary: fc.constant(Array.from({ length: 17 }, () => "x")), weight: 1 }, { arbitrary: oddJson, weight: 1 });
  if (field === "imageList") {
    return fc.oneof(
      { arbitrary: fc.array(fc.record({ data: images, name: fc.oneof(oddString, fc.constant("a.png")) }), { maxLength: 3 }), weight: 4 },
      { arbitrary: fc.array(oddJson, { maxLength: 3 }), weight: 1 },
      { arbitrary: fc.constant(Array.from({ length: 33 }, () => ({ data: "x", name: "y" }))), weight: 1 },
      { arbitrary: oddJson, weight: 1 },
    );
  }
  if (PROMPT_FIELDS.has(field)) return fc.oneof({ arbitrary: promptText, weight: 5 }, { arbitrary: oddString, weight: 3 }, { arbitrary: longString, weight: 1 }, { arbitrary: oddJson, weight: 1 });
  if (field === "styles") return fc.oneof(fc.array(oddString, { maxLength: 3 }), fc.constant(Array.from({ length: 40 }, () => "s")), oddJson);
  if (SIZE_FIELDS.has(field)) return sizeValue;
  if (field === "n_iter" || field === "batch_size") return countValue;
  if (field === "steps" || field === "hr_second_pass_steps") return fc.oneof(fc.constantFrom(1, 2, 150, 151, 0, -5, "3"), oddNumber);
  if (field === "upscaling_resize") return fc.oneof(fc.constantFrom(0.5, 1, 2, 4, 8, 8.01, 0, 0.001, -2, "2"), oddNumber);
  if (field === "upscaling_resize_w" || field === "upscaling_resize_h") return fc.oneof(fc.constantFrom(1, 8, 64, 512, 0, -1, 4097, 1e9, "64"), oddNumber);
  if (field === "hr_scale") return fc.oneof(fc.constantFrom(1, 1.5, 2, 4, 4.5, 0, -1), oddNumber);
  if (field === "override_settings") return overrideSettings(optionKeys);
  if (FREE_FORM_FIELDS.has(field)) return fc.oneof(deepJson, wideJson, oddJson, fc.constant({ "a title": { args: [1, nestedJson(40, "array")] } }));
  if (field === "sampler_name" || field === "sampler_index" || field === "hr_sampler_name") {
    return fc.oneof(fc.constantFrom("Euler", "DPM2", "euler a", "Heun Karras", "DPM++ 2M SDE Heun", "LCM", "nonsense", "Euler\u0000"), oddJson);
  }
  if (field === "scheduler" || field === "hr_scheduler") return fc.oneof(fc.constantFrom("Karras", "karras", "Automatic", "Beta", "nope"), oddJson);
  if (field === "upscaler_1" || field === "upscaler_2" || field === "hr_upscaler") return fc.oneof(fc.constantFrom("None", "Lanczos", "Nearest", "Latent", "ESRGAN_4x", "lanczos "), oddJson);
  if (field === "webhook") return fc.oneof(fc.constantFrom("http://127.0.0.1:9/hook", "ftp://x", "javascript:alert(1)", "http://", "not a url", ""), oddJson);
  if (field === "type") return fc.oneof(fc.constantFrom("txt2img", "img2img", "extras", "TXT2IMG"), oddJson);
  if (field === "request") return oddJson;
  return oddJson;
}

type Body = Record<string, unknown>;

/** How often a mutation picks a field, relative to 1: the fields that carry images and prompts most. */
const FIELD_WEIGHTS: Readonly<Record<string, number>> = {
  image: 12,
  imageList: 12,
  init_images: 10,
  mask: 2,
  prompt: 5,
  negative_prompt: 3,
  hr_prompt: 2,
  override_settings: 3,
  alwayson_scripts: 2,
  script_args: 2,
  comments: 2,
  request: 2,
};

const pickField = (fields: readonly string[]) => fc.oneof(...fields.map((field) => ({ arbitrary: fc.constant(field), weight: FIELD_WEIGHTS[field] ?? 1 })));

/** One change to a JSON object body. */
function mutation(fields: readonly string[], images: fc.Arbitrary<string>, optionKeys: readonly string[]): fc.Arbitrary<(body: Body) => void> {
  return fc.oneof(
    { arbitrary: pickField(fields).chain((field) => fieldValue(field, images, optionKeys).map((value) => (body: Body) => void (body[field] = value))), weight: 8 },
    { arbitrary: fc.constantFrom(...fields).map((field) => (body: Body) => void delete body[field]), weight: 1 },
    { arbitrary: fc.tuple(oddString, oddJson).map(([key, value]) => (body: Body) => void (body[key] = value)), weight: 1 },
  );
}

/** Bodies that are not a JSON object, or not JSON. */
const rawBodies: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc.constantFrom(
    "",
    "{",
    "{}}",
    "[]",
    "null",
    "true",
    "42",
    '"a string"',
    "{'single': 'quotes'}",
    '{"a": NaN}',
    '{"a": Infinity}',
    '{"a": 1e999}',
    '{"a": -0}',
    '{"prompt": "a", "prompt": 5}',
    "\ufeff{}",
    '{"a": "\\ud800"}',
    '{"a": "\\u0000"}',
    '{"__proto__": {"polluted": true}}',
    '{"constructor": {"prototype": {"polluted": true}}}',
    "prompt=a&steps=1",
    "\u0000\u0001\u0002",
  ),
  fc.constant(toJson(nestedJson(200_000, "array"))),
  fc.constant(`${"[".repeat(100_000)}`),
  oddString,
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  fc.constant(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00])),
);

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "APPLICATION/JSON",
  "application/json; charset=latin1",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/octet-stream",
  "image/png",
  "application/jsonx",
  "*/*",
  "",
];

/** Headers: content types, encodings the body does not have, garbage credentials, forwarded-for lists. */
const headers: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    "content-type": fc.constantFrom(...CONTENT_TYPES),
    "content-encoding": fc.constantFrom("gzip", "deflate", "br", "identity", "x"),
    authorization: fc.constantFrom("Basic !!!", "Basic ", "Bearer x", `Basic ${Buffer.from("a:b").toString("base64")}`, `Basic ${Buffer.from("\u00ff:\u0000").toString("base64")}`, "x".repeat(8000)),
    accept: fc.constantFrom("*/*", "text/html", "application/json;q=0", ""),
    "x-forwarded-for": fc.constantFrom("1.2.3.4, 5.6.7.8", "::1", "garbage", ""),
    "user-agent": fc.constantFrom("fuzz", "", "\u00e9\u00e8"),
  },
  { requiredKeys: [] },
);

/** encodeURIComponent of any string: lone surrogates (which it refuses) become U+FFFD first. */
const encode = (text: string) => encodeURIComponent(text.toWellFormed());

/** A path parameter: a job id that exists, ids that do not, and segments that are odd once decoded. */
const pathParameter: fc.Arbitrary<string> = fc.oneof(
  fc.uuid().map(encodeURIComponent),
  fc.constantFrom("%25", "%", "%zz", "%E0%A4%A", "..", "%2e%2e", "%2F", "%00", "a%2Fb", "\u00e9", "%F0%9F%90%B1", "x".repeat(10_000), "", "null", "undefined", "__proto__", "constructor"),
  oddString.map(encode),
  // A lone surrogate as UTF-8 bytes would have it (CESU-8), which decodeURIComponent refuses.
  fc.constant("%ED%A0%80"),
);

/** A query string (without "?"). */
const queryString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("", "skip_current_image=true", "skip_current_image=false", "skip_current_image=maybe", "skip_current_image=", "skip_current_image", "skip_current_image=1&skip_current_image=0", "=", "&&&", "%zz=1", "a=%00", `q=${"x".repeat(20_000)}`, "skip_current_image=%F0%9F%90%B1"),
  fc.tuple(oddString, oddString).map(([k, v]) => `${encode(k)}=${encode(v)}`),
);

export interface RouteGenerator {
  readonly name: RouteName;
  readonly definition: RouteDefinition;
  readonly requests: fc.Arbitrary<FuzzRequest>;
}

/** The fields of each body route's schema, for mutations. */
function bodyFields(name: RouteName): readonly string[] {
  switch (name) {
    case "txt2img":
      return Object.keys(txt2imgShape);
    case "img2img":
      return Object.keys(img2imgShape);
    case "png-info":
      return ["image"];
    case "extra-single-image":
      return Object.keys(ExtrasSingleImageRequest.shape);
    case "extra-batch-images":
      return Object.keys(ExtrasBatchImagesRequest.shape);
    case "options-set":
      return Object.keys(Options.shape);
    case "jobs-create":
      return ["type", "request", "webhook"];
    default:
      return [];
  }
}

/**
 * The request generator of one route. `samplePath` is the sample's concrete path (a stored job for the jobs
 * routes), used beside generated path parameters.
 */
export function routeRequests(name: RouteName, definition: RouteDefinition, sample: SampleRequest, samplePath: string, pool: readonly ImageFile[]): RouteGenerator {
  const images = imageValue(pool);
  const optionKeys = Object.keys(Options.shape);
  const fields = bodyFields(name);
  const sampleBody = (sample.body ?? {}) as Body;
  const path: fc.Arbitrary<string> = definition.path.includes("{")
    ? fc.oneof({ arbitrary: fc.constant(samplePath), weight: 1 }, { arbitrary: pathParameter.map((id) => definition.path.replace(/\{[^}]+\}/, id)), weight: 3 })
    : fc.constant(definition.path);
  const query = fc.oneof({ arbitrary: fc.constant(sample.query ?? ""), weight: 2 }, { arbitrary: queryString, weight: 1 });

  /** The sample body with 0–4 mutations; for jobs, mutations also go into the nested generation request. */
  const mutatedBody: fc.Arbitrary<unknown> =
    name === "jobs-create"
      ? fc
          .tuple(
            fc.constantFrom("txt2img" as const, "img2img" as const),
            fc.array(mutation(Object.keys(img2imgShape), images, optionKeys), { maxLength: 3 }),
            fc.array(mutation(fields, images, optionKeys), { maxLength: 2 }),
          )
          .map(([type, inner, outer]) => {
            const request: Body = type === "img2img" ? { prompt: "a cat", steps: 3, width: 64, height: 64, init_images: [pool[0]!.bytes.toString("base64")] } : { ...((sampleBody.request as Body | undefined) ?? {}) };
            for (const change of inner) change(request);
            const body: Body = { type, request };
            for (const change of outer) change(body);
            return body;
          })
      : fc.array(mutation(fields.length > 0 ? fields : ["anything"], images, optionKeys), { maxLength: 4 }).map((changes) => {
          const body: Body = structuredClone(sampleBody);
          for (const change of changes) change(body);
          return body;
        });

  const body: fc.Arbitrary<string | Buffer | undefined> = definition.body
    ? fc.oneof({ arbitrary: mutatedBody.map(toJson), weight: 12 }, { arbitrary: oddJson.map(toJson), weight: 1 }, { arbitrary: rawBodies, weight: 2 }, { arbitrary: fc.constant(undefined), weight: 1 })
    : fc.oneof({ arbitrary: fc.constant(undefined), weight: 6 }, { arbitrary: rawBodies, weight: 1 });

  const requests = fc
    .record({
      path,
      query,
      body,
      headers: fc.oneof({ arbitrary: fc.constant({ "content-type": "application/json" }), weight: 3 }, { arbitrary: headers, weight: 1 }),
      version: fc.constantFrom("v1" as const, "v2" as const),
    })
    .map(({ path, query, body, headers, version }) => fuzzRequest({ group: name, method: definition.method, url: query ? `${path}?${query}` : path, headers, body, version }));
  return { name, definition, requests };
}
