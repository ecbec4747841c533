/**
 * The txt2img/img2img response size check (SERENA_MAX_RESPONSE_BYTES; Lambda returns at most 6 MB) counts the body's JSON
 * bytes without serialising the images twice; it must equal what JSON.stringify then UTF-8 gives.
 */
import { describe, expect, it } from "vitest";
import { bodySize } from "../../../lib/a1111/routes/generation.ts";
import type { GenerationResponse } from "../../../lib/a1111/schemas/generation-response.ts";

const base64 = (bytes: number, seed: number) => Buffer.from(Array.from({ length: bytes }, (_, i) => (i * 31 + seed) & 255)).toString("base64");

const bodies: [string, GenerationResponse][] = [
  ["no images", { images: [], parameters: { prompt: "a fox" }, info: "{}" }],
  ["one image", { images: [base64(1000, 1)], parameters: { prompt: "a fox", seed: 1 }, info: '{"seed": 1}' }],
  [
    "three images, non-ASCII and escaped text",
    { images: [base64(10, 2), base64(2048, 3), base64(1, 4)], parameters: { prompt: 'ein Fuchs im Schnee — "🦊"\n' }, info: '{"prompt": "\\u00e9"}' },
  ],
  ["images and URLs", { images: [base64(64, 5)], parameters: {}, info: "{}", image_urls: ["https://bucket.example/a.png?X-Amz=1&b=2"] }],
];

describe("bodySize", () => {
  it.each(bodies)("%s: the byte length of the body's JSON", (_, body) => {
    expect(bodySize(body)).toBe(Buffer.byteLength(JSON.stringify(body), "utf8"));
  });
});
