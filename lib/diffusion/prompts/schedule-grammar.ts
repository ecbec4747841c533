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
 * A1111 runs this through lark's Earley parser, which resolves ambiguity itself. This is a recursive-descent
 * parser with ordered choice instead: a bracket group is read as a structure where it parses as one, and only at
 * the top level does a bracket that opens no structure count as literal text. Emphasis groups are kept as text.
 */

/** `[from:to:when]` or `[to:when]`; `when` is the NUMBER as written, because its form decides its meaning. */
export interface ScheduledNode {
  readonly kind: "scheduled";
  readonly before: readonly PromptNode[];
  readonly after: readonly PromptNode[];
  readonly when: string;
}

/** `[a|b|…]`; an empty option is an empty list. */
export interface AlternateNode {
  readonly kind: "alternate";
  readonly options: readonly (readonly PromptNode[])[];
}

export type PromptNode = string | ScheduledNode | AlternateNode;

/** lark `common.SIGNED_NUMBER`, anchored where the scan stands. */
const SIGNED_NUMBER = /[+-]?(?:\d+[eE][+-]?\d+|(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|\d+)/y;
const WHITESPACE = /\s*/y;

interface Parsed {
  readonly nodes: PromptNode[];
  readonly end: number;
}

class ScheduleParser {
  private readonly text: string;
  /** Bracket groups parse the same wherever they are reached from, so each start position is parsed once. */
  private readonly groups = new Map<number, Parsed | null>();

  constructor(text: string) {
    this.text = text;
  }

  /** `start`: prompt elements, with bracket characters that open no group kept as text. */
  parseStart(): PromptNode[] | null {
    const nodes: PromptNode[] = [];
    let pos = 0;
    while (pos < this.text.length) {
      const prompt = this.parsePrompt(pos);
      nodes.push(...prompt.nodes);
      pos = prompt.end;
      if (pos === this.text.length) break;
      if (!"[]():".includes(this.text[pos])) return null;
      nodes.push(this.text[pos]);
      pos += 1;
    }
    return nodes;
  }

  /** `prompt`: stops before the first character it cannot take. */
  private parsePrompt(start: number): Parsed {
    const nodes: PromptNode[] = [];
    let pos = start;
    while (pos < this.text.length) {
      const c = this.text[pos];
      if (c === "(" || c === "[") {
        const group = this.parseGroup(pos);
        if (group === null) break;
        nodes.push(...group.nodes);
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

  private parseGroup(start: number): Parsed | null {
    let group = this.groups.get(start);
    if (group === undefined) {
      group = this.text[start] === "(" ? this.parseRoundGroup(start) : this.parseSquareGroup(start);
      this.groups.set(start, group);
    }
    return group;
  }

  /** `"(" prompt ")"` or `"(" prompt ":" prompt ")"`, kept as text around its inner nodes. */
  private parseRoundGroup(start: number): Parsed | null {
    const inner = this.parsePrompt(start + 1);
    if (this.text[inner.end] === ")") return { nodes: ["(", ...inner.nodes, ")"], end: inner.end + 1 };
    if (this.text[inner.end] !== ":") return null;
    const weight = this.parsePrompt(inner.end + 1);
    if (this.text[weight.end] !== ")") return null;
    return { nodes: ["(", ...inner.nodes, ":", ...weight.nodes, ")"], end: weight.end + 1 };
  }

  private parseSquareGroup(start: number): Parsed | null {
    const first = this.parsePrompt(start + 1);
    switch (this.text[first.end]) {
      case "]":
        return { nodes: ["[", ...first.nodes, "]"], end: first.end + 1 };
      case "|":
        return this.parseAlternate(first);
      case ":":
        return this.parseScheduled(first);
      default:
        return null;
    }
  }

  private parseAlternate(first: Parsed): Parsed | null {
    const options: PromptNode[][] = [first.nodes];
    let pos = first.end;
    while (this.text[pos] === "|") {
      const option = this.parsePrompt(pos + 1);
      options.push(option.nodes);
      pos = option.end;
    }
    if (this.text[pos] !== "]") return null;
    return { nodes: [{ kind: "alternate", options }], end: pos + 1 };
  }

  /** After `[prompt:`: either `when]` (`[to:when]`) or `prompt:when]` (`[from:to:when]`). */
  private parseScheduled(first: Parsed): Parsed | null {
    const short = this.parseWhen(first.end + 1);
    if (short !== null) {
      const node: ScheduledNode = { kind: "scheduled", before: [], after: first.nodes, when: short.when };
      return { nodes: [node], end: short.end };
    }
    const second = this.parsePrompt(first.end + 1);
    if (this.text[second.end] !== ":") return null;
    const full = this.parseWhen(second.end + 1);
    if (full === null) return null;
    const node: ScheduledNode = { kind: "scheduled", before: first.nodes, after: second.nodes, when: full.when };
    return { nodes: [node], end: full.end };
  }

  /** `[WHITESPACE] NUMBER [WHITESPACE] "]"`. */
  private parseWhen(start: number): { when: string; end: number } | null {
    WHITESPACE.lastIndex = start;
    WHITESPACE.exec(this.text);
    SIGNED_NUMBER.lastIndex = WHITESPACE.lastIndex;
    const number = SIGNED_NUMBER.exec(this.text);
    if (number === null) return null;
    WHITESPACE.lastIndex = SIGNED_NUMBER.lastIndex;
    WHITESPACE.exec(this.text);
    if (this.text[WHITESPACE.lastIndex] !== "]") return null;
    return { when: number[0], end: WHITESPACE.lastIndex + 1 };
  }
}

/** Parses a prompt's editing syntax; null where A1111's grammar rejects it (then the prompt is used unchanged). */
export function parsePromptSchedule(text: string): PromptNode[] | null {
  return new ScheduleParser(text).parseStart();
}
