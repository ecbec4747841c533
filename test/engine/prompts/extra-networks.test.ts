import { describe, expect, it } from "vitest";
import { parseExtraNetworks } from "../../../lib/engine/prompts/extra-networks.ts";

// A1111 modules/extra_networks.py (v1.10.1): `re_extra_net = <(\w+):([^>]+)>`, `parse_prompt`, `ExtraNetworkParams`.
describe("parseExtraNetworks", () => {
  it("removes tags and splits their arguments on ':'", () => {
    // The example of the ExtraNetwork.activate docstring.
    const { prompt, tags } = parseExtraNetworks("1girl, <hypernet:agm:1.1> <extrasupernet:master:12:13:14> <hypernet:ray>");
    expect(prompt).toBe("1girl,   ");
    expect(tags.map(({ name, items }) => ({ name, items }))).toEqual([
      { name: "hypernet", items: ["agm", "1.1"] },
      { name: "extrasupernet", items: ["master", "12", "13", "14"] },
      { name: "hypernet", items: ["ray"] },
    ]);
  });

  it("reads key=value items as named arguments, the rest as positional", () => {
    const { tags } = parseExtraNetworks("a <lora:x:0.8:te=0.5:a=b=c>");
    expect(tags).toEqual([
      { name: "lora", items: ["x", "0.8", "te=0.5", "a=b=c"], positional: ["x", "0.8", "a=b=c"], named: { te: "0.5" } },
    ]);
  });

  it("accepts Unicode names, as Python's \\w does", () => {
    expect(parseExtraNetworks("a <ロラ:x> b")).toMatchObject({ prompt: "a  b", tags: [{ name: "ロラ", items: ["x"] }] });
  });

  it("leaves a prompt without tags unchanged", () => {
    expect(parseExtraNetworks("a <b> c <:x> d <e:>")).toEqual({ prompt: "a <b> c <:x> d <e:>", tags: [] });
  });
});
