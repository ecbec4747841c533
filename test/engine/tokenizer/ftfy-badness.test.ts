import { describe, expect, it } from "vitest";
import { isBad } from "../../../lib/engine/tokenizer/ftfy-badness.ts";

describe("is_bad: ftfy's mojibake heuristic", () => {
  // ftfy.badness.is_bad(text) from rspeer/python-ftfy 6.3.1 on CPython 3.11, a few texts for each kind of sequence
  // in badness.BADNESS_RE, including where Python's \s differs from JavaScript's (U+001C, U+FEFF).
  it.each([
  ["C1 control", [["a\x85b", true], ["a\x9fb", true], ["a\xa0b", false]]],
  ["bad symbol after an accented letter", [["é¬", true], ["ä¦x", true], ["e¬", false]]],
  ["Latin letter, Greek/Cyrillic letter, bad symbol", [["aж¦", true], ["ж¦", false], ["aж!", false]]],
  ["bad symbol before an accented letter", [["¦é", true], ["ˆÃ", true], ["¦e", false]]],
  ["lower-case letter before an upper-case accented one", [["éÃ", true], ["жÉ", true], ["eÉ", false]]],
  ["currency or numeric before a lower-case accented letter", [["€é", true], ["±é", true], ["€e", false]]],
  ["accented letter before currency", [["é€", true], ["╗£", true], ["e€", false]]],
  ["space, upper-case accented, currency", [[" É¥", true], ["\x1cÉ¥", true], ["\ufeffÉ¥", false], ["xÉ¥", true]]],
  ["upper-case accented before numeric or law", [["Ã±", true], ["Ã§", true], ["Ã1", false]]],
  ["accented, start punctuation, numeric", [["é“±", true], ["é“1", true]]],
  ["accented, end punctuation, start punctuation", [["é”“", true], ["é”a", true]]],
  ["currency or numeric before start punctuation", [["€“", true], ["±•", true], ["€a", false]]],
  ["a-z, upper-case accented, start punctuation or currency", [["aÃ©", true], ["aÃ€", true], ["AÃ©", true]]],
  ["box drawing before kaomoji letters", [["╗Ò", true], ["│°", true], ["│o", false]]],
  ["box drawing after accented letters", [["é│", true], ["€╗", true], ["e│", false]]],
  ["box drawing before end punctuation", [["│”", true], ["│a", false]]],
  ["accented, punctuation, word character", [["é“a", true], ["é“_", true], ["é“²", true], ["é“ ", false], ["é“\u0301", false]]],
  ["œ not before a Latin letter", [["œ ", true], ["Œ1", true], ["œu", false]]],
  ["degree sign after an upper-case accented letter", [["Ã°", true], ["A°", false]]],
  ["common Windows-1252 pairs", [["Â®", true], ["Ã©", true], ["Î´", true], ["Ð·", true], ["Â x", true]]],
  ["× before ² or ³", [["×²", true], ["×1", false]]],
  ["Arabic mojibake needs four characters", [["Ø§Ù„", true], ["Ø§Ù", true], ["Ø§x", true]]],
  ["à before superscripts", [["à²", true], ["àx", false]]],
  ["MacRoman", [["√©", true], ["≈°", true], ["‚Äô", true], ["‚àí", false], ["√x", false]]],
  ["Windows-1251 of U+2000", [["вЂ", true], ["вЃ", false]]],
  ["Windows-1251 three-character sequence", [["Р°С", true], ["Р°x", false], ["С€Р", true]]],
  ["Windows-1251 on Latin-1 mojibake", [["ГўВЂВќa", true], ["ГўВЂВќ1", false], ["ГўВЂВ\na", false]]],
  ["Windows-1252 of à, á, NBSP", [["Ã\xa0", true], ["Ã¡", true]]],
  ["a-z, optional space, Ã/Â, space", [["a Ã ", true], ["aÃ ", true], ["a\x1cÃ ", true], ["a\ufeffÃ ", false], ["1 Ã ", false]]],
  ["Ã/Â and a space at the start", [["Ã x", true], ["xÃ", false]]],
  ["Â between punctuation", [[".Â ", true], ["aÂ«", true], ["AÂ ", false]]],
  ["Windows-1253 of U+2000", [["β€™", true], ["β€x", false]]],
  ["Windows-1253 three-character sequence", [["Β°Β", true], ["Ο€Ξ", true], ["Β°x", false]]],
  ["Windows-1257 of U+2000", [["ā€", true], ["ā$", false]]],
  ["ordinary text", [["a photo of a cat", false], ["café crème", false], ["Москва", false], ["Ελληνικά", false], ["naïve — “quoted” …", false], ["x ≤ 5 ± ½", false], ["(╯°□°)╯︵ ┻━┻", false]]],
  ] as [string, [string, boolean][]][])("%s", (_what, rows) => {
    expect(rows.map(([text]) => [text, isBad(text)])).toEqual(rows);
  });
});
