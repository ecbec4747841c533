/** Parsing the Authorization header as FastAPI's HTTPBasic does (docs/a1111-semantics.md §9.14). */
import { describe, expect, it } from "vitest";
import { parseBasicCredentials } from "../../../lib/platform/http/middlewares/basic-auth.ts";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

describe("parseBasicCredentials", () => {
  it("splits user and password at the first colon (passwords may contain colons here)", () => {
    expect(parseBasicCredentials(`Basic ${b64("u:p")}`)).toEqual({ user: "u", password: "p" });
    expect(parseBasicCredentials(`Basic ${b64("u:p:q")}`)).toEqual({ user: "u", password: "p:q" });
    expect(parseBasicCredentials(`  BASIC   ${b64("ü:ß")}  `)).toEqual({ user: "ü", password: "ß" });
  });

  it("an absent or empty header is missing", () => {
    expect(parseBasicCredentials(undefined)).toBe("missing");
    expect(parseBasicCredentials("")).toBe("missing");
  });

  it.each(["Bearer abc", "Basic", "Basic ***", `Basic ${b64("nocolon")}`, "Digest username=x"])("%s is malformed", (header) => {
    expect(parseBasicCredentials(header)).toBe("malformed");
  });
});
