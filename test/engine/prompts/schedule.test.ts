import { describe, expect, it } from "vitest";
import { getLearnedConditioningPromptSchedules, scheduleEntryAt, scheduleOverflow } from "../../../lib/engine/prompts/schedule.ts";

// Doctests of A1111 modules/prompt_parser.py `get_learned_conditioning_prompt_schedules` (v1.10.1), as listed in
// docs/a1111-semantics.md §7.1; the rows the table abbreviates with "…" are written out as in the source doctest.
const g = (prompt: string) => getLearnedConditioningPromptSchedules([prompt], 10)[0];
const hires = (prompt: string) => getLearnedConditioningPromptSchedules([prompt], 10, 10)[0];

describe("prompt editing [from:to:when]", () => {
  it("keeps a prompt without editing for all steps", () => {
    expect(g("test")).toEqual([[10, "test"]]);
  });

  it("adds text after an absolute step", () => {
    expect(g("a [b:3]")).toEqual([
      [3, "a "],
      [10, "a b"],
    ]);
    expect(g("a [b: 3]")).toEqual([
      [3, "a "],
      [10, "a b"],
    ]);
  });

  it("keeps emphasis groups as text inside a scheduled part", () => {
    expect(g("a [[[b]]:2]")).toEqual([
      [2, "a "],
      [10, "a [[b]]"],
    ]);
    expect(g("[(a:2):3]")).toEqual([
      [3, ""],
      [10, "(a:2)"],
    ]);
  });

  it("swaps from → to, with whitespace around when", () => {
    expect(g("a [b : c : 1] d")).toEqual([
      [1, "a b  d"],
      [10, "a  c  d"],
    ]);
  });

  it("nests schedules", () => {
    expect(g("a[b:[c:d:2]:1]e")).toEqual([
      [1, "abe"],
      [2, "ace"],
      [10, "ade"],
    ]);
  });

  it("reads a number with a dot as a fraction of the steps", () => {
    expect(g("a [b:.5] c")).toEqual([
      [5, "a  c"],
      [10, "a b c"],
    ]);
  });

  it("allows whitespace after when (A1111 #12177)", () => {
    expect(g("a [b:3 ]")).toEqual([
      [3, "a "],
      [10, "a b"],
    ]);
  });
});

describe("unbalanced and unparseable prompts", () => {
  it("leaves an unclosed bracket as text", () => {
    expect(g("a [unbalanced")).toEqual([[10, "a [unbalanced"]]);
  });

  it("keeps stray brackets as text and still schedules what follows", () => {
    expect(g("((a][:b:c [d:3]")).toEqual([
      [3, "((a][:b:c "],
      [10, "((a][:b:c d"],
    ]);
  });

  it("uses the whole prompt unchanged when the grammar rejects it (a | outside [a|b])", () => {
    expect(g("a | [b:3]")).toEqual([[10, "a | [b:3]"]]);
  });

  it("uses the whole prompt unchanged when it ends in a lone backslash", () => {
    expect(g("a [b:3] c\\")).toEqual([[10, "a [b:3] c\\"]]);
  });

  it("reads escaped brackets as text, not as a schedule", () => {
    expect(g("a \\[b:3]")).toEqual([[10, "a \\[b:3]"]]);
  });

  it("uses a prompt nested deeper than 1000 brackets unchanged (A1111 fails the request instead)", () => {
    const deep = `${"(".repeat(1001)}a [b:3]${")".repeat(1001)}`;
    expect(g(deep)).toEqual([[10, deep]]);
    const shallow = `${"(".repeat(999)}a [b:3]${")".repeat(999)}`;
    expect(g(shallow)).toHaveLength(2);
  });
});

describe("alternation [a|b|…]", () => {
  it("switches option every step", () => {
    expect(g("[a|(b:1.1)]")).toEqual([
      [1, "a"],
      [2, "(b:1.1)"],
      [3, "a"],
      [4, "(b:1.1)"],
      [5, "a"],
      [6, "(b:1.1)"],
      [7, "a"],
      [8, "(b:1.1)"],
      [9, "a"],
      [10, "(b:1.1)"],
    ]);
  });

  it("counts empty options", () => {
    expect(g("[fe|]male")).toEqual([
      [1, "female"],
      [2, "male"],
      [3, "female"],
      [4, "male"],
      [5, "female"],
      [6, "male"],
      [7, "female"],
      [8, "male"],
      [9, "female"],
      [10, "male"],
    ]);
    expect(g("[fe|||]male")).toEqual([
      [1, "female"],
      [2, "male"],
      [3, "male"],
      [4, "male"],
      [5, "female"],
      [6, "male"],
      [7, "male"],
      [8, "male"],
      [9, "female"],
      [10, "male"],
    ]);
  });
});

describe("hires pass timelines", () => {
  it("reads fractions from 1.0 and steps after the base steps", () => {
    expect(hires("a [b:.5] c")).toEqual([[10, "a b c"]]);
    expect(hires("a [b:1.5] c")).toEqual([
      [5, "a  c"],
      [10, "a b c"],
    ]);
    // docs/a1111-semantics.md §7.1: on the hires pass int_offset = base steps, so step 13 is the hires pass's third step.
    expect(hires("a [b:13] c")).toEqual([
      [3, "a  c"],
      [10, "a b c"],
    ]);
  });

  it("falls back to the base timeline with old scheduling", () => {
    // docs/a1111-semantics.md §7.1: use_old_scheduling ignores the hires offsets; below 1 is a fraction, else a step count.
    expect(getLearnedConditioningPromptSchedules(["a [b:1.5] c"], 10, 20, true)[0]).toEqual([
      [1, "a  c"],
      [10, "a b c"],
    ]);
    expect(getLearnedConditioningPromptSchedules(["a [b:0.5] c"], 10, undefined, true)[0]).toEqual([
      [5, "a  c"],
      [10, "a b c"],
    ]);
  });
});

describe("several prompts", () => {
  it("returns one schedule per prompt in order", () => {
    const [first, second, third] = getLearnedConditioningPromptSchedules(["test", "a [b:3]", "test"], 10);
    expect(first).toEqual([[10, "test"]]);
    expect(second).toEqual([
      [3, "a "],
      [10, "a b"],
    ]);
    expect(third).toEqual(first);
  });
});

describe("scheduleEntryAt", () => {
  it('uses "a " for model calls 0–3 and "a b" from call 4 for "a [b:3]"', () => {
    // docs/a1111-semantics.md §7.1: the first entry with current_step <= end_at_step.
    const schedule = g("a [b:3]");
    expect([0, 1, 2, 3, 4, 9].map((step) => scheduleEntryAt(schedule, step)[1])).toEqual([
      "a ",
      "a ",
      "a ",
      "a ",
      "a b",
      "a b",
    ]);
  });

  it("falls back to the first entry past the last step", () => {
    expect(scheduleEntryAt(g("a [b:3]"), 11)).toEqual([3, "a "]);
  });
});

describe("scheduleOverflow: steps A1111's int() cannot take", () => {
  // collect_steps: v = float(when) (then, with a ".", (v − offset)·steps); int(±inf) raises OverflowError.
  it("finds a when that is infinite as a float", () => {
    expect(scheduleOverflow("a [b:1e400] c", 10)).toBe("1e400");
    expect(scheduleOverflow("a [b:c:-1e999]", 10)).toBe("-1e999");
  });

  it("finds one that overflows only once multiplied by the steps", () => {
    // 1.5e308 is finite, (1.5e308 − 0) · 10 is not.
    expect(scheduleOverflow("[b:1.5e308]", 10)).toBe("1.5e308");
    expect(scheduleOverflow("[b:1.5e308]", 1)).toBeNull();
    // Without a ".", the number is a step: 1e308 − 0 is finite.
    expect(scheduleOverflow("[b:1e308]", 10)).toBeNull();
  });

  it("looks inside nested groups and alternations, as A1111's visitor does", () => {
    expect(scheduleOverflow("[x|[a:b:1e400]]", 10)).toBe("1e400");
    expect(scheduleOverflow("[a:[b:c:2e400]:3]", 10)).toBe("2e400");
  });

  it("is null for prompts the grammar rejects (A1111 then uses the text unchanged) and for ordinary ones", () => {
    expect(scheduleOverflow("a [b:1e400", 10)).toBeNull();
    expect(scheduleOverflow("a [b:c:5] [d|e]", 10)).toBeNull();
  });

  it("caps such a step at the last step where the engine still meets it", () => {
    expect(g("a [b:1e400]")).toEqual([[10, "a "]]);
  });
});
