/**
 * Parser for A1111's prompt-editing grammar (modules/prompt_parser.py `schedule_parser`, v1.10.1):
 *
 *   start:      (prompt | /[][():]/+)*
 *   prompt:     (emphasized | scheduled | alternate | plain | WHITESPACE)*
 *   emphasized: "(" prompt ")" | "(" prompt ":" prompt ")" | "[" prompt "]"
 *   scheduled:  "[" [prompt ":"] prompt ":" [WHITESPACE] NUMBER [WHITESPACE] "]"
 *   alternate:  "[" prompt ("|" [prompt])+ "]"
 *   plain:      /([^\\\[\]():|]|\\.)+/          NUMBER: lark's SIGNED_NUMBER
 *
 * A1111 runs this through lark's Earley parser. The grammar is ambiguous: at the top level a bracket group may be
 * a structure or literal text (`a [b:3]` parses both ways), and lark 1.1.2, A1111's pin, picks among such parses in
 * set-iteration order, which can change from run to run. This recursive-descent parser decides by ordered choice:
 * a bracket group is a structure wherever it parses as one, and only at the top level does a bracket that opens no
 * structure count as text. That agrees with every doctest. Emphasis groups are kept as text with their brackets.
 */

/** `[from:to:when]` or `[to:when]`; `when` is the NUMBER as written, because its form decides its meaning. */
export interface ScheduledNode {
  readonly kind: "scheduled";
  readonly before: PromptSequence;
  readonly after: PromptSequence;
  readonly when: string;
}

/** `[a|b|…]`; an empty option is an empty sequence. */
export interface AlternateNode {
  readonly kind: "alternate";
  readonly options: readonly PromptSequence[];
}

/** Text, a schedule, an alternation, or a sequence of nodes (a prompt, or an emphasis group with its brackets). */
export type PromptNode = string | ScheduledNode | AlternateNode | PromptSequence;
export type PromptSequence = readonly PromptNode[];

/** `Array.isArray` does not narrow readonly arrays. */
export function isPromptSequence(node: PromptNode): node is PromptSequence {
  return Array.isArray(node);
}

/** lark `common.SIGNED_NUMBER`, anchored where the scan stands. */
const SIGNED_NUMBER = /[+-]?(?:\d+[eE][+-]?\d+|(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|\d+)/y;
const OPTIONAL_WHITESPACE = /\s*/y;

/** A `prompt`: never fails, ends before the first character it cannot take. */
interface ParsedPrompt {
  readonly nodes: PromptNode[];
  readonly end: number;
}

/** A bracket group. */
interface ParsedGroup {
  readonly node: PromptNode;
  readonly end: number;
}

class ScheduleParser {
  private readonly text: string;
  /** Bracket groups parse the same wherever they are reached from, so each start position is parsed once. */
  private readonly groups = new Map<number, ParsedGroup | null>();

  constructor(text: string) {
    this.text = text;
  }

  /** `start`: prompt elements, with bracket characters that open no group kept as text. */
  parseStart(): PromptSequence | null {
    const nodes: PromptNode[] = [];
    let pos = 0;
    while (pos < this.text.length) {
      const prompt = this.parsePrompt(pos);
      nodes.push(prompt.nodes);
      pos = prompt.end;
      if (pos === this.text.length) break;
      if (!"[]():".includes(this.text[pos])) return null;
      nodes.push(this.text[pos]);
      pos += 1;
    }
    return nodes;
  }

  /** `prompt`: stops before the first character it cannot take. */
  private parsePrompt(start: number): ParsedPrompt {
    const nodes: PromptNode[] = [];
    let pos = start;
    while (pos < this.text.length) {
      const c = this.text[pos];
      if (c === "(" || c === "[") {
        const group = this.parseGroup(pos);
        if (group === null) break;
        nodes.push(group.node);
        pos = group.end;
        continue;
      }
      const end = this.plainEnd(pos);
      if (end === pos) break;
      nodes.push(this.text.slice(pos, end));
      pos = end;
    }
    return { nodes, end: pos };
  }

  /** End of the `plain`/WHITESPACE run at `pos`; a backslash escapes any character but a newline. */
  private plainEnd(pos: number): number {
    const text = this.text;
    while (pos < text.length) {
      const c = text[pos];
      if (c === "\\") {
        if (pos + 1 >= text.length || text[pos + 1] === "\n") break;
        pos += 2;
      } else if ("[]():|".includes(c)) {
        break;
      } else {
        pos += 1;
      }
    }
    return pos;
  }

  private parseGroup(start: number): ParsedGroup | null {
    let group = this.groups.get(start);
    if (group === undefined) {
      group = this.text[start] === "(" ? this.parseRoundGroup(start) : this.parseSquareGroup(start);
      this.groups.set(start, group);
    }
    return group;
  }

  /** `"(" prompt ")"` or `"(" prompt ":" prompt ")"`, kept as text around its inner nodes. */
  private parseRoundGroup(start: number): ParsedGroup | null {
    const inner = this.parsePrompt(start + 1);
    if (this.text[inner.end] === ")") return { node: ["(", inner.nodes, ")"], end: inner.end + 1 };
    if (this.text[inner.end] !== ":") return null;
    const weight = this.parsePrompt(inner.end + 1);
    if (this.text[weight.end] !== ")") return null;
    return { node: ["(", inner.nodes, ":", weight.nodes, ")"], end: weight.end + 1 };
  }

  private parseSquareGroup(start: number): ParsedGroup | null {
    const first = this.parsePrompt(start + 1);
    switch (this.text[first.end]) {
      case "]":
        return { node: ["[", first.nodes, "]"], end: first.end + 1 };
      case "|":
        return this.parseAlternate(first);
      case ":":
        return this.parseScheduled(first);
      default:
        return null;
    }
  }

  private parseAlternate(first: ParsedPrompt): ParsedGroup | null {
    const options: PromptSequence[] = [first.nodes];
    let pos = first.end;
    while (this.text[pos] === "|") {
      const option = this.parsePrompt(pos + 1);
      options.push(option.nodes);
      pos = option.end;
    }
    if (this.text[pos] !== "]") return null;
    return { node: { kind: "alternate", options }, end: pos + 1 };
  }

  /** After `[prompt:`: either `when]` (`[to:when]`) or `prompt:when]` (`[from:to:when]`). */
  private parseScheduled(first: ParsedPrompt): ParsedGroup | null {
    const short = this.parseWhen(first.end + 1);
    if (short !== null) {
      return { node: { kind: "scheduled", before: [], after: first.nodes, when: short.when }, end: short.end };
    }
    const second = this.parsePrompt(first.end + 1);
    if (this.text[second.end] !== ":") return null;
    const full = this.parseWhen(second.end + 1);
    if (full === null) return null;
    return { node: { kind: "scheduled", before: first.nodes, after: second.nodes, when: full.when }, end: full.end };
  }

  /** `[WHITESPACE] NUMBER [WHITESPACE] "]"`. */
  private parseWhen(start: number): { when: string; end: number } | null {
    OPTIONAL_WHITESPACE.lastIndex = start;
    OPTIONAL_WHITESPACE.exec(this.text);
    SIGNED_NUMBER.lastIndex = OPTIONAL_WHITESPACE.lastIndex;
    const number = SIGNED_NUMBER.exec(this.text);
    if (number === null) return null;
    OPTIONAL_WHITESPACE.lastIndex = SIGNED_NUMBER.lastIndex;
    OPTIONAL_WHITESPACE.exec(this.text);
    if (this.text[OPTIONAL_WHITESPACE.lastIndex] !== "]") return null;
    return { when: number[0], end: OPTIONAL_WHITESPACE.lastIndex + 1 };
  }
}

/**
 * Deepest bracket nesting parsed. A1111 itself fails the request from about 300 levels (Python's recursion limit
 * in lark's tree transformer); deeper prompts here count as unparseable, which keeps the recursion off the stack limit.
 */
const MAX_NESTING = 1000;

/** An upper bound on the parser's group nesting: unescaped openers not yet closed. */
function nestingBound(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\") i += 1;
    else if (c === "(" || c === "[") max = Math.max(max, ++depth);
    else if ((c === ")" || c === "]") && depth > 0) depth -= 1;
  }
  return max;
}

/** Parses a prompt's editing syntax; null where A1111's grammar rejects it (then the prompt is used unchanged). */
export function parsePromptSchedule(text: string): PromptSequence | null {
  if (nestingBound(text) > MAX_NESTING) return null;
  return new ScheduleParser(text).parseStart();
}
