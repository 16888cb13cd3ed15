/** Where a value sits in its parent: an object's key, an array's index, or null for the document itself. */
export type JsonKey = string | number | null;
export type JsonScalar = string | number | boolean | null;

/** What a streamed document is made of, in order. */
export interface JsonEvents {
  open(key: JsonKey, kind: "object" | "array"): void;
  close(): void;
  value(key: JsonKey, value: JsonScalar): void;
}

interface Frame {
  array: boolean;
  /** The key the next value goes under (an object's last key read, an array's next index). */
  key: JsonKey;
  count: number;
}

const enum State {
  Value,
  AfterValue,
  Key,
  Colon,
  String,
  Number,
  Literal,
  Done,
}

const SPECIAL = /["\\]/g;
const NUMBER = /[-+0-9.eE]/;
const ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/**
 * A JSON parser fed text as it arrives, telling what it reads as events instead of building the
 * document: a 10 MB answer of which we keep a few hundred kilobytes (a test report's failed cases) then
 * never sits in memory whole, nor as objects. Strings are kept up to `maxString` characters (the rest is
 * read and dropped) and nesting is refused past `maxDepth`. Not a validator: it accepts some texts
 * JSON.parse refuses (raw control characters in strings), never the other way round.
 */
export class JsonStream {
  private readonly stack: Frame[] = [];
  private state = State.Value;
  private token = "";
  private escape = "";
  private stringIsKey = false;
  private offset = 0;

  constructor(
    private readonly events: JsonEvents,
    private readonly limits: { maxString: number; maxDepth: number },
  ) {}

  write(text: string): void {
    const n = text.length;
    let i = 0;
    while (i < n) {
      if (this.state === State.String) {
        i = this.readString(text, i);
        continue;
      }
      const ch = text[i]!;
      if (this.state === State.Number || this.state === State.Literal) {
        if (this.state === State.Number ? NUMBER.test(ch) : ch >= "a" && ch <= "z") {
          if (this.token.length > 64) this.fail(`a token longer than 64 characters`);
          this.token += ch;
          i++;
          continue;
        }
        this.scalarEnd();
        continue; // the same character again, in the state after the value
      }
      i++;
      if (ch === " " || ch === "\n" || ch === "\r" || ch === "\t") continue;
      this.punctuation(ch);
    }
    this.offset += n;
  }

  /** The text is complete: a document cut short is an error. */
  end(): void {
    if (this.state === State.Number || this.state === State.Literal) this.scalarEnd();
    if (this.state !== State.Done) this.fail("the text ended before the document did");
  }

  private punctuation(ch: string): void {
    const top = this.stack[this.stack.length - 1];
    switch (this.state) {
      case State.Value:
        if (ch === "{" || ch === "[") return this.open(ch === "[");
        if (ch === '"') return this.startString(false);
        if (ch === "-" || (ch >= "0" && ch <= "9")) return this.startToken(State.Number, ch);
        if (ch === "t" || ch === "f" || ch === "n") return this.startToken(State.Literal, ch);
        if (ch === "]" && top?.array && top.count === 0) return this.close();
        return this.fail(`unexpected ${JSON.stringify(ch)}`);
      case State.Key:
        if (ch === '"') return this.startString(true);
        if (ch === "}" && top && top.count === 0) return this.close();
        return this.fail(`expected a key, found ${JSON.stringify(ch)}`);
      case State.Colon:
        if (ch === ":") return void (this.state = State.Value);
        return this.fail(`expected ':', found ${JSON.stringify(ch)}`);
      case State.AfterValue:
        if (ch === ",") return void (this.state = top!.array ? State.Value : State.Key);
        if ((ch === "]" && top!.array) || (ch === "}" && !top!.array)) return this.close();
        return this.fail(`unexpected ${JSON.stringify(ch)}`);
      case State.Done:
        return this.fail("text after the end of the document");
    }
  }

  private open(array: boolean): void {
    if (this.stack.length >= this.limits.maxDepth) this.fail(`nested deeper than ${this.limits.maxDepth}`);
    this.events.open(this.currentKey(), array ? "array" : "object");
    this.stack.push({ array, key: array ? 0 : null, count: 0 });
    this.state = array ? State.Value : State.Key;
  }

  private close(): void {
    this.stack.pop();
    this.events.close();
    this.valueDone();
  }

  private startString(isKey: boolean): void {
    this.stringIsKey = isKey;
    this.token = "";
    this.escape = "";
    this.state = State.String;
  }

  private startToken(state: State, ch: string): void {
    this.token = ch;
    this.state = state;
  }

  /** Reads string text from `i` up to the closing quote or the end of `text`; returns where it stopped. */
  private readString(text: string, i: number): number {
    if (this.escape) return this.readEscape(text, i);
    SPECIAL.lastIndex = i;
    const found = SPECIAL.exec(text);
    const j = found ? found.index : text.length;
    this.keep(text, i, j);
    if (!found) return j;
    if (text[j] === "\\") {
      this.escape = "\\";
      return j + 1;
    }
    const s = this.token;
    this.token = "";
    if (this.stringIsKey) {
      this.stack[this.stack.length - 1]!.key = s;
      this.state = State.Colon;
    } else {
      this.events.value(this.currentKey(), s);
      this.valueDone();
    }
    return j + 1;
  }

  private readEscape(text: string, i: number): number {
    this.escape += text[i];
    if (this.escape.length === 2 && this.escape[1] !== "u") {
      const c = ESCAPES[this.escape[1]!];
      if (c === undefined) this.fail(`a bad escape ${JSON.stringify(this.escape)}`);
      this.keep(c!, 0, 1);
      this.escape = "";
    } else if (this.escape.length === 6) {
      const code = Number.parseInt(this.escape.slice(2), 16);
      if (!/^[0-9a-f]{4}$/i.test(this.escape.slice(2))) this.fail(`a bad escape ${JSON.stringify(this.escape)}`);
      this.keep(String.fromCharCode(code), 0, 1);
      this.escape = "";
    }
    return i + 1;
  }

  private keep(text: string, from: number, to: number): void {
    const room = this.limits.maxString - this.token.length;
    if (room > 0 && to > from) this.token += text.slice(from, Math.min(to, from + room));
  }

  private scalarEnd(): void {
    const t = this.token;
    this.token = "";
    let v: JsonScalar;
    if (this.state === State.Literal) {
      if (t !== "true" && t !== "false" && t !== "null") this.fail(`unexpected ${JSON.stringify(t)}`);
      v = t === "null" ? null : t === "true";
    } else {
      v = Number(t);
      if (!Number.isFinite(v) || !/^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/.test(t))
        this.fail(`a bad number ${JSON.stringify(t)}`);
    }
    this.events.value(this.currentKey(), v);
    this.valueDone();
  }

  private currentKey(): JsonKey {
    return this.stack.length ? this.stack[this.stack.length - 1]!.key : null;
  }

  /** A value ended: its parent counts it and waits for a comma or its end; or the document is done. */
  private valueDone(): void {
    const top = this.stack[this.stack.length - 1];
    if (!top) {
      this.state = State.Done;
      return;
    }
    top.count++;
    if (top.array) top.key = top.count;
    this.state = State.AfterValue;
  }

  private fail(why: string): never {
    throw new SyntaxError(`Not JSON: ${why} (near character ${this.offset})`);
  }
}
