import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import type { ClipTokenizer } from "../../../lib/engine/tokenizer/clip-tokenizer.ts";
import { createClipTokenizer, loadClipTokenizer } from "../../../lib/engine/tokenizer/clip-tokenizer.ts";

const ASSETS = fileURLToPath(new URL("../../../assets/clip-tokenizer/", import.meta.url));

let tokenizer: ClipTokenizer;
let vocab: unknown;
let merges: string;

beforeAll(async () => {
  tokenizer = await loadClipTokenizer(ASSETS);
  vocab = JSON.parse(await readFile(`${ASSETS}vocab.json`, "utf8"));
  merges = await readFile(`${ASSETS}merges.txt`, "utf8");
});

/** The SD pipeline framing `[BOS] + ids + [EOS]` that the reference rows are written in. */
const framed = (text: string) => [tokenizer.bosId, ...tokenizer.encode(text), tokenizer.eosId];

describe("CLIP BPE ids", () => {
  // docs/engine-reference.md §6.2 (Python SimpleTokenizer port and @huggingface/tokenizers agree).
  it.each([
    ["An astronaut riding a horse", [49406, 550, 18376, 6765, 320, 4558, 49407]],
    ["a photo of a cat", [49406, 320, 1125, 539, 320, 2368, 49407]],
    ["A photo of an astronaut riding a horse on mars", [49406, 320, 1125, 539, 550, 18376, 6765, 320, 4558, 525, 7496, 49407]],
    [
      "masterpiece, best quality, (1girl:1.2)",
      [49406, 12066, 267, 949, 3027, 267, 263, 272, 1611, 281, 272, 269, 273, 264, 49407],
    ],
    ["café au lait", [49406, 15304, 2566, 572, 585, 49407]],
    ["hello   world!!", [49406, 3306, 1002, 748, 49407]],
    ["I'm 25 years old", [49406, 328, 880, 273, 276, 1151, 896, 49407]],
  ])("%s", (text, ids) => {
    expect(framed(text)).toEqual(ids);
  });

  it("gives the single tokens of docs/engine-reference.md §6.2 and the clip-tokenizer README", () => {
    expect(tokenizer.encode("a")).toEqual([320]);
    expect(tokenizer.encode("of")).toEqual([539]);
    expect(tokenizer.encode("photo")).toEqual([1125]);
    expect(tokenizer.encode("cat")).toEqual([2368]);
    expect(tokenizer.encode(",")).toEqual([267]);
    expect(tokenizer.encode("(")).toEqual([263]);
    expect(tokenizer.encode(")")).toEqual([264]);
  });

  it("encodes an empty or blank text as no tokens", () => {
    expect(tokenizer.encode("")).toEqual([]);
    expect(tokenizer.encode(" \n\t ")).toEqual([]);
  });
});

describe("text clean-up", () => {
  it("unescapes HTML entities ending in ';' (ftfy.fix_text does, in both clean-ups)", () => {
    // docs/engine-reference.md §6.1: "a&amp;b …" → [320, 261, 321, …] unescaped (vs 320, 261, 6259, 282, 321 without).
    expect(tokenizer.encode("a&amp;b")).toEqual([320, 261, 321]);
    expect(tokenizer.encode("a&amp;amp;b")).toEqual(tokenizer.encode("a&b"));
  });

  it("is case- and whitespace-insensitive, with Python's whitespace", () => {
    expect(tokenizer.encode("  A   PHOTO\nof a Cat ")).toEqual([320, 1125, 539, 320, 2368]);
    expect(tokenizer.encode("a\u3000photo\u2003of a cat")).toEqual([320, 1125, 539, 320, 2368]);
  });
});

describe("A1111's two clean-ups (transformers for SD 1.x, open_clip for SD 2.x / SDXL's second encoder)", () => {
  let openClip: ClipTokenizer;
  beforeAll(() => {
    openClip = createClipTokenizer({ vocab, merges, tokenizerConfig: { pad_token: "!" } });
  });

  it("SD 1.x (transformers' CLIPTokenizer) leaves entities without ';' as text; open_clip's html.unescape decodes them", () => {
    expect(tokenizer.encode("a&amp")).toEqual([320, 261, 6259]);
    expect(openClip.encode("a&amp")).toEqual([320, 261]);
  });

  it("on a line with '<', ftfy leaves entities alone; only open_clip's double html.unescape decodes them", () => {
    expect(tokenizer.encode("<b> a&amp;b")).toContain(6259);
    expect(openClip.encode("<b> a&amp;b")).toEqual(openClip.encode("<b> a&b"));
  });

  it("an explicit cleanup wins over the pad-token default", () => {
    const sd1WithOpenClip = createClipTokenizer({ vocab, merges, cleanup: "open_clip" });
    expect(sd1WithOpenClip.encode("a&amp")).toEqual([320, 261]);
    expect(sd1WithOpenClip.padId).toBe(49407);
  });
});

describe("ftfy.fix_text before BPE", () => {
  // Reference ids from CLIP's own tokenizer: openai/CLIP `clip/simple_tokenizer.py` `SimpleTokenizer().encode(text)`
  // with its bpe_simple_vocab_16e6.txt.gz, on CPython 3.11 with rspeer/python-ftfy 6.3.1 as `ftfy`, framed with
  // 49406/49407. Its `basic_clean` runs ftfy.fix_text, then html.unescape twice (open_clip's tokenizer is the same).
  it.each([
    ["don’t “quoted”", [49406, 847, 713, 257, 27706, 257, 49407]],
    ["ＡＢＣ １２３", [49406, 5334, 272, 273, 274, 49407]],
    ["ﬁsh", [49406, 2759, 49407]],
    ["a ﬂuﬃest ﬁsh", [49406, 320, 3698, 19961, 1509, 2759, 49407]],
    ["cafÃ© au lait", [49406, 15304, 2566, 572, 585, 49407]],
    ["â€œsmart quotesâ€\x9d and an ellipsisâ€¦", [49406, 257, 4115, 5808, 257, 537, 550, 3367, 33041, 959, 49407]],
    ["The Mona Lisa doesnÃƒÂ¢Ã¢â€šÂ¬Ã¢â€žÂ¢t have eyebrows.", [49406, 518, 19143, 7424, 2503, 713, 720, 19923, 269, 49407]],
    ["\x93C1 quotes\x94 \x85", [49406, 257, 322, 272, 5808, 257, 959, 49407]],
    ["\x1b[36mcyan\x1b[0m cat", [49406, 1470, 550, 2368, 49407]],
    ["caf&eacute; &hellip; &amp;amp; &ldquo;x&rdquo;", [49406, 15304, 959, 261, 257, 343, 257, 49407]],
    ["ＬＯＵＤ\u3000ＮＯＩＳＥＳ, l’humanitÃ© “cat” ﬁsh", [49406, 7464, 31575, 267, 331, 262, 3175, 529, 4166, 257, 2368, 257, 2759, 49407]],
    ["masterpiece, (ｃａｔ:1.2), ‘best’ quality", [49406, 12066, 267, 263, 2368, 281, 272, 269, 273, 2361, 262, 949, 262, 3027, 49407]],
  ])("%j", (text, ids) => {
    expect(framed(text)).toEqual(ids);
  });

  it("gives curly quotes, fullwidth letters and ligatures the ids of their plain spellings", () => {
    expect(tokenizer.encode("don’t “quoted”")).toEqual(tokenizer.encode('don\'t "quoted"'));
    expect(tokenizer.encode("ＡＢＣ １２３")).toEqual(tokenizer.encode("ABC 123"));
    expect(tokenizer.encode("ﬁsh")).toEqual(tokenizer.encode("fish"));
  });
});

describe("special token ids", () => {
  it("reads SD 1.x BOS/EOS/pad from the files: pad is <|endoftext|>", () => {
    expect([tokenizer.bosId, tokenizer.eosId, tokenizer.padId]).toEqual([49406, 49407, 49407]);
  });

  it('reads an SD 2.x pad token "!" as id 0', () => {
    // docs/engine-reference.md §6.1 item 6: SD 2.x / SDXL tokenizer_2 pad_token "!" = 0.
    const sd2 = createClipTokenizer({ vocab, merges, tokenizerConfig: { pad_token: "!" } });
    expect(sd2.padId).toBe(0);
  });

  it("accepts token fields as strings or AddedToken objects, tokenizer_config.json first", () => {
    const fromObjects = createClipTokenizer({
      vocab,
      merges,
      tokenizerConfig: { pad_token: { __type: "AddedToken", content: "!" } },
      specialTokensMap: { pad_token: "<|endoftext|>", bos_token: { content: "<|startoftext|>" } },
    });
    expect([fromObjects.bosId, fromObjects.eosId, fromObjects.padId]).toEqual([49406, 49407, 0]);
  });

  it("defaults to CLIP's token names and EOS padding without config files", () => {
    const bare = createClipTokenizer({ vocab, merges });
    expect([bare.bosId, bare.eosId, bare.padId]).toEqual([49406, 49407, 49407]);
  });

  it("exposes the id of ',</w>' for comma padding", () => {
    expect(tokenizer.commaId).toBe(267);
  });

  it("rejects files whose special tokens are not in the vocabulary", () => {
    expect(() => createClipTokenizer({ vocab, merges, tokenizerConfig: { pad_token: "<pad>" } })).toThrow(/pad token/);
  });
});
