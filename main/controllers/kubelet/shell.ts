/**
 * A small POSIX-shell interpreter over simulated time: enough of `sh -c` to know when a learner's
 * container command finishes, with which exit code, and what it prints — `echo hi`,
 * `sleep 3600`, `exit 1`, `while true; do date; sleep 5; done`, `for i in 1 2 3`, counters with
 * `$((i+1))`, `[ -f /tmp/ready ]`, `> file` and `| tee`. Nothing runs: `sleep` moves a virtual
 * clock, output lines carry the time they were written, and anything that would block forever
 * (`tail -f`, `sleep infinity`, a server binary) stops the run as "still running".
 *
 * Deviation: an unknown construct makes the script "run forever" rather than fail, so a command
 * the interpreter does not understand never invents a crash.
 */

export type WordPart =
  | { readonly t: 'lit'; readonly v: string }
  | { readonly t: 'var'; readonly v: string }
  | { readonly t: 'cmd'; readonly v: Script }
  | { readonly t: 'arith'; readonly v: string };

export interface Word {
  readonly parts: readonly WordPart[];
  /** The word as written, for keyword detection (unquoted only). */
  readonly raw: string;
  readonly quoted: boolean;
}

export interface Redirect {
  /** `>`/`>>` to a file, `2>&1`/`>&2` (output stays in the log), `2>` file, `<` file. */
  readonly kind: 'out' | 'append' | 'merge' | 'err' | 'in';
  readonly target?: Word;
}

export interface Simple {
  readonly k: 'simple';
  readonly words: readonly Word[];
  readonly assigns: ReadonlyArray<{ readonly name: string; readonly value: Word }>;
  readonly redirects: readonly Redirect[];
}

export interface Loop {
  readonly k: 'loop';
  readonly until: boolean;
  readonly cond: Script;
  readonly body: Script;
}

export interface For {
  readonly k: 'for';
  readonly name: string;
  readonly items: readonly Word[];
  readonly body: Script;
}

export interface If {
  readonly k: 'if';
  readonly branches: ReadonlyArray<{ readonly cond: Script; readonly body: Script }>;
  readonly otherwise: Script | undefined;
}

export interface Group {
  readonly k: 'group';
  readonly body: Script;
}

export type Command = Simple | Loop | For | If | Group;

export interface Pipeline {
  readonly cmds: readonly Command[];
  readonly negate: boolean;
}

export interface AndOr {
  readonly first: Pipeline;
  readonly rest: ReadonlyArray<{ readonly op: '&&' | '||'; readonly p: Pipeline }>;
  readonly background: boolean;
}

export type Script = readonly AndOr[];

// ---------------------------------------------------------------------------------------------
// Tokenizer

type Token =
  { readonly type: 'word'; readonly word: Word } | { readonly type: 'op'; readonly v: string };

class ParseError extends Error {}

const OPERATORS = [
  '&&',
  '||',
  '>>',
  '2>&1',
  '>&2',
  '1>&2',
  '2>>',
  '2>',
  ';;',
  ';',
  '|',
  '&',
  '>',
  '<',
  '(',
  ')',
  '\n',
];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '\\' && text[i + 1] === '\n') {
      i += 2;
      continue;
    }
    if (c === '#') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op && !(op.startsWith('2') && !isBoundary(text, i))) {
      tokens.push({ type: 'op', v: op });
      i += op.length;
      continue;
    }
    const { word, end } = readWord(text, i);
    tokens.push({ type: 'word', word });
    i = end;
  }
  return tokens;
}

/** `2>` is a redirection only at the start of a word. */
function isBoundary(text: string, i: number): boolean {
  return i === 0 || /[\s;&|]/.test(text[i - 1]!);
}

function readWord(text: string, start: number): { word: Word; end: number } {
  const parts: WordPart[] = [];
  let lit = '';
  let quoted = false;
  let i = start;
  const flush = (): void => {
    if (lit) parts.push({ t: 'lit', v: lit });
    lit = '';
  };
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (/[\s;&|<>()]/.test(c)) break;
    if (c === '\\') {
      lit += text[i + 1] ?? '';
      i += 2;
      continue;
    }
    if (c === "'") {
      quoted = true;
      const close = text.indexOf("'", i + 1);
      if (close < 0) throw new ParseError('unterminated quote');
      lit += text.slice(i + 1, close);
      i = close + 1;
      continue;
    }
    if (c === '"') {
      quoted = true;
      i++;
      while (i < n && text[i] !== '"') {
        const d = text[i]!;
        if (d === '\\' && i + 1 < n && '"\\$`\n'.includes(text[i + 1]!)) {
          lit += text[i + 1];
          i += 2;
          continue;
        }
        if (d === '$' || d === '`') {
          const expansion = readExpansion(text, i);
          if (expansion) {
            flush();
            parts.push(expansion.part);
            i = expansion.end;
            continue;
          }
        }
        lit += d;
        i++;
      }
      if (i >= n) throw new ParseError('unterminated quote');
      i++;
      continue;
    }
    if (c === '$' || c === '`') {
      const expansion = readExpansion(text, i);
      if (expansion) {
        flush();
        parts.push(expansion.part);
        i = expansion.end;
        continue;
      }
    }
    lit += c;
    i++;
  }
  flush();
  return { word: { parts, raw: text.slice(start, i), quoted }, end: i };
}

function readExpansion(text: string, i: number): { part: WordPart; end: number } | undefined {
  if (text[i] === '`') {
    const close = text.indexOf('`', i + 1);
    if (close < 0) throw new ParseError('unterminated backquote');
    return { part: { t: 'cmd', v: parseScript(text.slice(i + 1, close)) }, end: close + 1 };
  }
  const next = text[i + 1];
  if (next === '(' && text[i + 2] === '(') {
    const close = matching(text, i + 1, '(', ')');
    return { part: { t: 'arith', v: text.slice(i + 3, close - 1) }, end: close + 1 };
  }
  if (next === '(') {
    const close = matching(text, i + 1, '(', ')');
    return { part: { t: 'cmd', v: parseScript(text.slice(i + 2, close)) }, end: close + 1 };
  }
  if (next === '{') {
    const close = text.indexOf('}', i + 2);
    if (close < 0) throw new ParseError('bad substitution');
    const inner = text.slice(i + 2, close);
    // ${VAR:-default} and friends: keep the name, ignore the operator.
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(inner)?.[0] ?? inner;
    return { part: { t: 'var', v: name }, end: close + 1 };
  }
  const name = /^([A-Za-z_][A-Za-z0-9_]*|[0-9?$#@*!])/.exec(text.slice(i + 1));
  if (!name) return undefined;
  return { part: { t: 'var', v: name[0] }, end: i + 1 + name[0].length };
}

function matching(text: string, open: number, left: string, right: string): number {
  let depth = 0;
  let quote = '';
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = '';
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === left) depth++;
    else if (c === right && --depth === 0) return i;
  }
  throw new ParseError('unbalanced parentheses');
}

// ---------------------------------------------------------------------------------------------
// Parser

const KEYWORDS = new Set(['do', 'done', 'then', 'elif', 'else', 'fi', 'in', '}']);

class Parser {
  private i = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  script(stop: readonly string[] = []): Script {
    const list: AndOr[] = [];
    for (;;) {
      this.skipSeparators();
      const token = this.peek();
      if (!token) break;
      if (token.type === 'op' && token.v === ')') break;
      if (token.type === 'word' && !token.word.quoted && stop.includes(token.word.raw)) break;
      list.push(this.andOr());
    }
    return list;
  }

  done(): boolean {
    this.skipSeparators();
    return this.i >= this.tokens.length;
  }

  private andOr(): AndOr {
    const first = this.pipeline();
    const rest: Array<{ op: '&&' | '||'; p: Pipeline }> = [];
    let background = false;
    for (;;) {
      const token = this.peek();
      if (token?.type === 'op' && (token.v === '&&' || token.v === '||')) {
        this.i++;
        this.skipNewlines();
        rest.push({ op: token.v, p: this.pipeline() });
        continue;
      }
      if (token?.type === 'op' && token.v === '&') {
        this.i++;
        background = true;
      }
      break;
    }
    return { first, rest, background };
  }

  private pipeline(): Pipeline {
    let negate = false;
    const bang = this.peek();
    if (bang?.type === 'word' && !bang.word.quoted && bang.word.raw === '!') {
      negate = true;
      this.i++;
    }
    const cmds = [this.command()];
    for (;;) {
      const token = this.peek();
      if (token?.type !== 'op' || token.v !== '|') break;
      this.i++;
      this.skipNewlines();
      cmds.push(this.command());
    }
    return { cmds, negate };
  }

  private command(): Command {
    const token = this.peek();
    if (!token) throw new ParseError('unexpected end');
    if (token.type === 'op' && token.v === '(') {
      this.i++;
      const body = this.script();
      this.expectOp(')');
      return { k: 'group', body };
    }
    if (token.type === 'word' && !token.word.quoted) {
      switch (token.word.raw) {
        case 'while':
        case 'until': {
          this.i++;
          const cond = this.script(['do']);
          this.expectWord('do');
          const body = this.script(['done']);
          this.expectWord('done');
          return { k: 'loop', until: token.word.raw === 'until', cond, body };
        }
        case 'for': {
          this.i++;
          const name = this.word().raw;
          const items: Word[] = [];
          this.skipNewlines();
          if (this.isWord('in')) {
            this.i++;
            while (this.peek()?.type === 'word' && !this.isWord('do')) items.push(this.word());
          } else {
            items.push({ parts: [{ t: 'var', v: '@' }], raw: '"$@"', quoted: true });
          }
          this.skipSeparators();
          this.expectWord('do');
          const body = this.script(['done']);
          this.expectWord('done');
          return { k: 'for', name, items, body };
        }
        case 'if': {
          this.i++;
          const branches: Array<{ cond: Script; body: Script }> = [];
          let otherwise: Script | undefined;
          const cond = this.script(['then']);
          this.expectWord('then');
          branches.push({ cond, body: this.script(['elif', 'else', 'fi']) });
          for (;;) {
            if (this.isWord('elif')) {
              this.i++;
              const c = this.script(['then']);
              this.expectWord('then');
              branches.push({ cond: c, body: this.script(['elif', 'else', 'fi']) });
              continue;
            }
            if (this.isWord('else')) {
              this.i++;
              otherwise = this.script(['fi']);
            }
            break;
          }
          this.expectWord('fi');
          return { k: 'if', branches, otherwise };
        }
        case '{': {
          this.i++;
          const body = this.script(['}']);
          this.expectWord('}');
          return { k: 'group', body };
        }
        default:
          if (KEYWORDS.has(token.word.raw)) throw new ParseError(`unexpected ${token.word.raw}`);
      }
    }
    return this.simple();
  }

  private simple(): Simple {
    const words: Word[] = [];
    const assigns: Array<{ name: string; value: Word }> = [];
    const redirects: Redirect[] = [];
    for (;;) {
      const token = this.peek();
      if (!token) break;
      if (token.type === 'op') {
        const kind = REDIRECTS[token.v];
        if (!kind) break;
        this.i++;
        if (kind === 'merge') redirects.push({ kind });
        else redirects.push({ kind, target: this.word() });
        continue;
      }
      // Reserved words count only where a command starts: `echo done` prints "done".
      const assignment =
        words.length === 0 ? /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(token.word.raw) : null;
      if (assignment) {
        this.i++;
        assigns.push({ name: assignment[1]!, value: dropPrefix(token.word, assignment[0].length) });
        continue;
      }
      words.push(token.word);
      this.i++;
    }
    if (words.length === 0 && assigns.length === 0) throw new ParseError('empty command');
    return { k: 'simple', words, assigns, redirects };
  }

  private word(): Word {
    const token = this.peek();
    if (token?.type !== 'word') throw new ParseError('expected a word');
    this.i++;
    return token.word;
  }

  private isWord(raw: string): boolean {
    const token = this.peek();
    return token?.type === 'word' && !token.word.quoted && token.word.raw === raw;
  }

  private expectWord(raw: string): void {
    this.skipSeparators();
    if (!this.isWord(raw)) throw new ParseError(`expected ${raw}`);
    this.i++;
  }

  private expectOp(v: string): void {
    const token = this.peek();
    if (token?.type !== 'op' || token.v !== v) throw new ParseError(`expected ${v}`);
    this.i++;
  }

  private skipSeparators(): void {
    for (;;) {
      const token = this.peek();
      if (token?.type === 'op' && (token.v === ';' || token.v === '\n')) this.i++;
      else break;
    }
  }

  private skipNewlines(): void {
    while (this.peek()?.type === 'op' && (this.peek() as { v: string }).v === '\n') this.i++;
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }
}

const REDIRECTS: Readonly<Record<string, Redirect['kind']>> = {
  '>': 'out',
  '>>': 'append',
  '2>&1': 'merge',
  '>&2': 'merge',
  '1>&2': 'merge',
  '2>': 'err',
  '2>>': 'err',
  '<': 'in',
};

function dropPrefix(word: Word, length: number): Word {
  const parts: WordPart[] = [];
  let skip = length;
  for (const part of word.parts) {
    if (skip > 0 && part.t === 'lit') {
      if (part.v.length <= skip) {
        skip -= part.v.length;
        continue;
      }
      parts.push({ t: 'lit', v: part.v.slice(skip) });
      skip = 0;
      continue;
    }
    skip = 0;
    parts.push(part);
  }
  return { parts, raw: word.raw.slice(length), quoted: word.quoted };
}

/** Parses a script; throws on what the interpreter does not understand. */
export function parseScript(text: string): Script {
  const parser = new Parser(tokenize(text));
  const script = parser.script();
  if (!parser.done()) throw new ParseError('unexpected token');
  return script;
}

/** Parses a script, or answers undefined when it is beyond this interpreter. */
export function tryParseScript(text: string): Script | undefined {
  try {
    return parseScript(text);
  } catch (error) {
    if (error instanceof ParseError) return undefined;
    throw error;
  }
}

/** A literal word (an argv element of a container command, not shell-parsed). */
export function literalWord(text: string): Word {
  return { parts: [{ t: 'lit', v: text }], raw: text, quoted: true };
}

// ---------------------------------------------------------------------------------------------
// Execution

export interface LogLine {
  /** Cluster time (ms) the line was written. */
  readonly at: number;
  readonly text: string;
}

/** Lines written to one file by a run, and how many earlier ones were dropped. */
export interface FileLines {
  lines: LogLine[];
  skipped: number;
}

/** What a command name does when run, beyond the built-ins (decided by the image's contents). */
export type CommandKind =
  /** Runs until stopped, printing its banner (a server binary). */
  | { readonly kind: 'server'; readonly lines: readonly string[] }
  /** Exists, prints nothing, succeeds. */
  | { readonly kind: 'silent' }
  /** Prints these lines and succeeds. */
  | { readonly kind: 'output'; readonly lines: readonly string[] }
  /** Not on PATH: `sh: x: not found`, status 127. */
  | { readonly kind: 'missing' };

export interface ShellHost {
  /** The shell's name for error messages (`sh`, `bash`). */
  readonly shell: string;
  readonly hostname: string;
  /** What a non-built-in command is. */
  command(name: string, args: readonly string[]): CommandKind;
  /** Lines other containers wrote to a shared file (`tail -f`, `cat`), up to `until`. */
  readFile?(path: string, until: number): LogLine[] | undefined;
  /** Whether stdin is open (a shell or `cat` with no arguments then waits forever). */
  readonly stdin: boolean;
}

export interface RunOptions {
  readonly start: number;
  /** Simulate up to this time; a run still going then is "running". */
  readonly horizon: number;
  /** Keep at most this many of the last stdout lines. */
  readonly maxLines: number;
  /**
   * Only when and how the script ends matters (not its output): a loop that can never end is
   * known to run forever without being run.
   */
  readonly planOnly?: boolean;
}

export interface RunResult {
  readonly lines: readonly LogLine[];
  /** Earlier lines dropped to respect `maxLines`. */
  readonly skipped: number;
  /** Set when the script finished before the horizon. */
  readonly exit?: { readonly at: number; readonly code: number };
  /** Files the run wrote to (for sidecars that tail them). */
  readonly files: ReadonlyMap<string, FileLines>;
  /** Whether it traps SIGTERM (`trap … TERM`). */
  readonly trapsTerm: boolean;
}

const MAX_STEPS = 200_000;

type Flow = 'next' | 'exit' | 'break' | 'continue' | 'halt';

interface Sink {
  /** Where stdout goes: the log, a file, or nowhere (an inner pipeline stage). */
  readonly kind: 'log' | 'file' | 'discard' | 'capture';
  readonly path?: string;
  readonly capture?: string[];
  /** `| tee file`: also to this file. */
  readonly tee?: string;
}

const LOG: Sink = { kind: 'log' };

class Run {
  t: number;
  status = 0;
  steps = 0;
  exitCode = 0;
  skipped = 0;
  trapsTerm = false;
  out: LogLine[] = [];
  readonly files = new Map<string, FileLines>();
  readonly env: Map<string, string>;

  constructor(
    readonly host: ShellHost,
    env: ReadonlyMap<string, string>,
    readonly options: RunOptions,
    readonly argv0: string,
    readonly argv: readonly string[],
  ) {
    this.t = options.start;
    this.env = new Map(env);
  }

  script(script: Script, sink: Sink): Flow {
    for (const item of script) {
      const flow = this.andOr(item, sink);
      if (flow !== 'next') return flow;
    }
    return 'next';
  }

  private andOr(item: AndOr, sink: Sink): Flow {
    if (item.background) {
      // A background job does not hold the script: run what finishes at once, skip the rest.
      const saved = this.t;
      const flow = this.pipeline(item.first, sink, true);
      this.t = saved;
      this.status = 0;
      return flow === 'exit' ? 'next' : flow === 'halt' ? 'next' : flow;
    }
    let flow = this.pipeline(item.first, sink, false);
    if (flow !== 'next') return flow;
    for (const { op, p } of item.rest) {
      if ((op === '&&') !== (this.status === 0)) continue;
      flow = this.pipeline(p, sink, false);
      if (flow !== 'next') return flow;
    }
    return 'next';
  }

  private pipeline(pipeline: Pipeline, sink: Sink, background: boolean): Flow {
    const { cmds } = pipeline;
    let flow: Flow = 'next';
    if (cmds.length === 1) {
      flow = this.command(cmds[0]!, sink, background);
    } else {
      // Only the last stage's output reaches the sink; `| tee` passes the first stage's on.
      const last = cmds[cmds.length - 1]!;
      const tee = last.k === 'simple' ? teeTarget(this, last) : undefined;
      for (let i = 0; i < cmds.length - 1; i++) {
        const stageSink: Sink =
          i === cmds.length - 2 && tee !== undefined
            ? { ...sink, ...(tee ? { tee } : {}) }
            : { kind: 'discard' };
        flow = this.command(cmds[i]!, stageSink, background);
        if (flow !== 'next') return flow;
      }
      if (tee === undefined) flow = this.command(last, sink, background);
    }
    if (pipeline.negate && flow === 'next') this.status = this.status === 0 ? 1 : 0;
    return flow;
  }

  private command(command: Command, sink: Sink, background: boolean): Flow {
    if (++this.steps > MAX_STEPS) return 'halt';
    switch (command.k) {
      case 'simple':
        return this.simple(command, sink, background);
      case 'group':
        return this.script(command.body, sink);
      case 'if': {
        for (const branch of command.branches) {
          const flow = this.script(branch.cond, { kind: 'discard' });
          if (flow !== 'next') return flow;
          if (this.status === 0) return this.script(branch.body, sink);
        }
        this.status = 0;
        return command.otherwise ? this.script(command.otherwise, sink) : 'next';
      }
      case 'for': {
        const items = command.items.flatMap((w) => this.expandFields(w));
        for (const item of items) {
          this.env.set(command.name, item);
          const flow = this.script(command.body, sink);
          if (flow === 'break') break;
          if (flow === 'continue') continue;
          if (flow !== 'next') return flow;
        }
        return 'next';
      }
      case 'loop':
        return this.loop(command, sink);
    }
  }

  private loop(loop: Loop, sink: Sink): Flow {
    if (this.options.planOnly && endless(loop)) return this.block();
    const periodic = !usesFileTests(loop);
    for (;;) {
      const before = periodic ? this.snapshot() : undefined;
      const t0 = this.t;
      const lines0 = this.out.length + this.skipped;
      const files0 = this.fileCounts();
      let flow = this.script(loop.cond, { kind: 'discard' });
      if (flow !== 'next') return flow;
      const holds = loop.until ? this.status !== 0 : this.status === 0;
      if (!holds) {
        this.status = 0;
        return 'next';
      }
      flow = this.script(loop.body, sink);
      if (flow === 'break') return 'next';
      if (flow !== 'next' && flow !== 'continue') return flow;
      if (this.t > this.options.horizon) return 'halt';
      // A loop whose iterations change nothing but the time repeats: skip to near the horizon,
      // keeping enough iterations to fill the lines asked for.
      const dt = this.t - t0;
      if (before !== undefined && dt > 0 && before === this.snapshot()) {
        const perIteration = this.out.length + this.skipped - lines0;
        const remaining = Math.floor((this.options.horizon - this.t) / dt);
        const keep = Math.ceil(this.options.maxLines / Math.max(1, perIteration)) + 2;
        const skip = remaining - keep;
        if (skip > 0) {
          this.t += skip * dt;
          this.skipped += skip * perIteration;
          for (const [path, count] of this.fileCounts()) {
            const file = this.files.get(path)!;
            file.skipped += skip * (count - (files0.get(path) ?? 0));
          }
        }
      }
    }
  }

  private snapshot(): string {
    return JSON.stringify([...this.env.entries()]) + `|${this.status}`;
  }

  private fileCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const [path, file] of this.files) counts.set(path, file.lines.length + file.skipped);
    return counts;
  }

  private simple(command: Simple, sink: Sink, background: boolean): Flow {
    for (const { name, value } of command.assigns) this.env.set(name, this.expandWord(value));
    if (command.words.length === 0) {
      this.status = 0;
      return 'next';
    }
    const args = command.words.flatMap((w) => this.expandFields(w));
    if (args.length === 0) return 'next';
    let target = sink;
    for (const redirect of command.redirects) {
      if (redirect.kind === 'out' || redirect.kind === 'append') {
        const path = this.expandWord(redirect.target!);
        if (path === '/dev/null') target = { kind: 'discard' };
        else if (path === '/dev/stdout' || path === '/dev/stderr' || path === '/proc/1/fd/1')
          target = sink;
        else {
          if (redirect.kind === 'out') this.files.set(path, { lines: [], skipped: 0 });
          target = { kind: 'file', path };
        }
      }
    }
    const name = args[0]!;
    const rest = args.slice(1);
    return this.builtin(name, rest, target, background);
  }

  private builtin(name: string, args: readonly string[], sink: Sink, background: boolean): Flow {
    const base = name.slice(name.lastIndexOf('/') + 1);
    switch (base) {
      case 'echo': {
        let list = [...args];
        let newline = true;
        let escapes = false;
        while (list[0] && /^-[neE]+$/.test(list[0])) {
          if (list[0].includes('n')) newline = false;
          if (list[0].includes('e')) escapes = true;
          list = list.slice(1);
        }
        let text = list.join(' ');
        if (escapes || this.host.shell === 'sh') text = unescape(text);
        this.write(sink, text, newline);
        this.status = 0;
        return 'next';
      }
      case 'printf': {
        const [format = '', ...values] = args;
        let index = 0;
        const text = unescape(
          format.replace(/%[-0-9.]*([sdif%])/g, (_, conv: string) => {
            if (conv === '%') return '%';
            const value = values[index++] ?? '';
            return conv === 's' ? value : String(Number.parseInt(value, 10) || 0);
          }),
        );
        this.write(sink, text, false);
        this.status = 0;
        return 'next';
      }
      case 'sleep': {
        const ms = parseSleep(args);
        if (ms === undefined) {
          this.status = 1;
          return 'next';
        }
        if (background) return 'next';
        if (!Number.isFinite(ms) || this.t + ms > this.options.horizon) {
          this.t = this.options.horizon;
          return 'halt';
        }
        this.t += ms;
        this.status = 0;
        return 'next';
      }
      case 'exit':
        this.exitCode = args[0] !== undefined ? Number.parseInt(args[0], 10) & 255 : this.status;
        return 'exit';
      case 'break':
        return 'break';
      case 'continue':
        return 'continue';
      case 'true':
      case ':':
        this.status = 0;
        return 'next';
      case 'false':
        this.status = 1;
        return 'next';
      case '[':
      case 'test':
        this.status = this.test(base === '[' ? args.slice(0, -1) : args) ? 0 : 1;
        return 'next';
      case 'date':
        this.write(sink, busyboxDate(this.t), true);
        this.status = 0;
        return 'next';
      case 'hostname':
        this.write(sink, this.host.hostname, true);
        this.status = 0;
        return 'next';
      case 'whoami':
        this.write(sink, 'root', true);
        this.status = 0;
        return 'next';
      case 'env':
      case 'printenv': {
        if (args.length === 0) {
          for (const [key, value] of this.env) {
            if (/^[A-Z_][A-Z0-9_]*$/i.test(key) && !SHELL_ONLY.has(key))
              this.write(sink, `${key}=${value}`, true);
          }
          this.status = 0;
        } else {
          const values = args.map((key) => this.env.get(key));
          for (const value of values) if (value !== undefined) this.write(sink, value, true);
          this.status = values.every((v) => v !== undefined) ? 0 : 1;
        }
        return 'next';
      }
      case 'seq': {
        const numbers = args.map(Number);
        const [first, step, last] =
          numbers.length === 1
            ? [1, 1, numbers[0]!]
            : numbers.length === 2
              ? [numbers[0]!, 1, numbers[1]!]
              : [numbers[0]!, numbers[1]!, numbers[2]!];
        for (let i = first; step > 0 ? i <= last : i >= last; i += step) {
          this.write(sink, String(i), true);
          if (++this.steps > MAX_STEPS) return 'halt';
        }
        this.status = 0;
        return 'next';
      }
      case 'trap':
        if (args.some((a) => /^(SIG)?TERM$|^15$/.test(a))) this.trapsTerm = true;
        this.status = 0;
        return 'next';
      case 'export':
        for (const arg of args) {
          const eq = arg.indexOf('=');
          if (eq > 0) this.env.set(arg.slice(0, eq), arg.slice(eq + 1));
        }
        this.status = 0;
        return 'next';
      case 'set':
      case 'cd':
      case 'wait':
      case 'mkdir':
      case 'touch':
      case 'rm':
      case 'cp':
      case 'mv':
      case 'chmod':
      case 'chown':
      case 'ln':
      case 'sync':
      case 'unset':
        if (base === 'touch')
          for (const path of args.filter((a) => !a.startsWith('-')))
            if (!this.files.has(path)) this.files.set(path, { lines: [], skipped: 0 });
        if (base === 'unset') for (const arg of args) this.env.delete(arg);
        this.status = 0;
        return 'next';
      case 'tail':
        return this.tail(args, sink, background);
      case 'cat':
        return this.cat(args, sink, background);
      case 'sh':
      case 'bash':
      case 'ash':
        return this.subshell(args, sink, background);
      default:
        return this.external(name, args, sink, background);
    }
  }

  private subshell(args: readonly string[], sink: Sink, background: boolean): Flow {
    const c = args.indexOf('-c');
    if (c < 0) {
      if (background || !this.host.stdin) {
        this.status = 0;
        return 'next';
      }
      return this.block();
    }
    const script = tryParseScript(args[c + 1] ?? '');
    if (!script) return this.block();
    const saved = new Map(this.env);
    const flow = this.script(script, sink);
    this.env.clear();
    for (const [k, v] of saved) this.env.set(k, v);
    if (flow === 'exit') {
      this.status = this.exitCode;
      return 'next';
    }
    return flow === 'halt' ? 'halt' : 'next';
  }

  private tail(args: readonly string[], sink: Sink, background: boolean): Flow {
    let follow = false;
    let count = 10;
    const paths: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      if (arg === '-f' || arg === '-F' || arg === '--follow' || arg === '--follow=name') {
        follow = true;
      } else if (arg === '-n' || arg === '-c') {
        count = tailCount(args[++i] ?? '10');
      } else if (/^-n./.test(arg)) {
        count = tailCount(arg.slice(2));
      } else if (/^-[a-zA-Z]+$/.test(arg)) {
        if (/[fF]/.test(arg)) follow = true;
      } else if (!arg.startsWith('-')) {
        paths.push(arg);
      }
    }
    for (const path of paths) {
      const lines = this.fileLines(path, follow ? this.options.horizon : this.t);
      if (lines === undefined) {
        if (!follow) {
          this.write(sink, `tail: can't open '${path}': No such file or directory`, true);
          this.status = 1;
          return 'next';
        }
        continue;
      }
      const before = lines.filter((l) => l.at <= this.t);
      const shown = count === Infinity ? before : before.slice(Math.max(0, before.length - count));
      for (const line of shown) this.emit(sink, line.text);
      if (follow) {
        for (const line of lines) if (line.at > this.t) this.emit(sink, line.text, line.at);
      }
    }
    if (follow) {
      if (background) return 'next';
      return this.block();
    }
    this.status = 0;
    return 'next';
  }

  private cat(args: readonly string[], sink: Sink, background: boolean): Flow {
    const paths = args.filter((a) => !a.startsWith('-'));
    if (paths.length === 0) {
      if (this.host.stdin && !background) return this.block();
      this.status = 0;
      return 'next';
    }
    this.status = 0;
    for (const path of paths) {
      const lines = this.fileLines(path, this.t);
      if (lines === undefined) {
        if (path === '/etc/hostname') this.write(sink, this.host.hostname, true);
        else {
          this.write(sink, `cat: can't open '${path}': No such file or directory`, true);
          this.status = 1;
        }
        continue;
      }
      for (const line of lines) if (line.at <= this.t) this.write(sink, line.text, true);
    }
    return 'next';
  }

  private fileLines(path: string, until: number): LogLine[] | undefined {
    const own = this.files.get(path);
    const shared = this.host.readFile?.(path, until);
    if (!own && !shared) return undefined;
    return [...(shared ?? []), ...(own?.lines ?? [])].sort((a, b) => a.at - b.at);
  }

  private external(name: string, args: readonly string[], sink: Sink, background: boolean): Flow {
    const kind = this.host.command(name, args);
    if (kind.kind === 'missing') {
      this.write(sink, `${this.host.shell}: ${name}: not found`, true);
      this.status = 127;
      return 'next';
    }
    if (kind.kind === 'server') {
      for (const line of kind.lines) this.write(sink, line, true);
      if (background) return 'next';
      return this.block();
    }
    if (kind.kind === 'output') for (const line of kind.lines) this.write(sink, line, true);
    this.status = 0;
    return 'next';
  }

  /** Something that never returns: the run goes on past the horizon. */
  private block(): Flow {
    this.t = this.options.horizon;
    return 'halt';
  }

  private write(sink: Sink, text: string, newline: boolean): void {
    const lines = (newline ? text : text.replace(/\n$/, '')).split('\n');
    if (!newline && text === '') return;
    for (const line of lines) this.emit(sink, line);
  }

  private emit(sink: Sink, text: string, at = this.t): void {
    if (sink.tee) this.appendFile(sink.tee, text, at);
    switch (sink.kind) {
      case 'discard':
        return;
      case 'capture':
        sink.capture!.push(text);
        return;
      case 'file':
        this.appendFile(sink.path!, text, at);
        return;
      case 'log':
        this.out.push({ at, text });
        if (this.out.length > this.options.maxLines * 2) {
          const drop = this.out.length - this.options.maxLines;
          this.out.splice(0, drop);
          this.skipped += drop;
        }
    }
  }

  private appendFile(path: string, text: string, at: number): void {
    let file = this.files.get(path);
    if (!file) this.files.set(path, (file = { lines: [], skipped: 0 }));
    file.lines.push({ at, text });
    if (file.lines.length > this.options.maxLines * 2) {
      const drop = file.lines.length - this.options.maxLines;
      file.lines.splice(0, drop);
      file.skipped += drop;
    }
  }

  private test(args: readonly string[]): boolean {
    if (args[0] === '!') return !this.test(args.slice(1));
    if (args.length === 0) return false;
    if (args.length === 1) return args[0] !== '';
    if (args.length === 2) {
      const [op, value = ''] = args;
      if (op === '-z') return value === '';
      if (op === '-n') return value !== '';
      if (op === '-f' || op === '-e' || op === '-s' || op === '-d') {
        const lines = this.fileLines(value, this.t);
        return lines !== undefined && (op !== '-s' || lines.some((l) => l.at <= this.t));
      }
      return false;
    }
    const [a = '', op, b = ''] = args;
    const x = Number.parseInt(a, 10);
    const y = Number.parseInt(b, 10);
    switch (op) {
      case '=':
      case '==':
        return a === b;
      case '!=':
        return a !== b;
      case '-eq':
        return x === y;
      case '-ne':
        return x !== y;
      case '-lt':
        return x < y;
      case '-le':
        return x <= y;
      case '-gt':
        return x > y;
      case '-ge':
        return x >= y;
      default:
        return false;
    }
  }

  expandWord(word: Word): string {
    return word.parts.map((part) => this.expandPart(part)).join('');
  }

  /** Expands a word into fields: unquoted expansions split on whitespace. */
  expandFields(word: Word): string[] {
    if (word.quoted) {
      if (word.parts.length === 1 && word.parts[0]!.t === 'var' && word.parts[0]!.v === '@')
        return [...this.argv];
      return [this.expandWord(word)];
    }
    const text = this.expandWord(word);
    if (word.parts.every((p) => p.t === 'lit')) return [text];
    return text.split(/\s+/).filter((f) => f !== '');
  }

  private expandPart(part: WordPart): string {
    switch (part.t) {
      case 'lit':
        return part.v;
      case 'var':
        if (part.v === '?') return String(this.status);
        if (part.v === '$') return '1';
        if (part.v === '0') return this.argv0;
        if (part.v === '#') return String(this.argv.length);
        if (part.v === '@' || part.v === '*') return this.argv.join(' ');
        if (/^[1-9]$/.test(part.v)) return this.argv[Number(part.v) - 1] ?? '';
        return this.env.get(part.v) ?? '';
      case 'arith':
        return String(arithmetic(part.v, this.env));
      case 'cmd': {
        const capture: string[] = [];
        this.script(part.v, { kind: 'capture', capture });
        return capture.join('\n').replace(/\n+$/, '');
      }
    }
  }

  result(exit: { at: number; code: number } | undefined): RunResult {
    return {
      lines: this.out,
      skipped: this.skipped,
      files: this.files,
      trapsTerm: this.trapsTerm,
      ...(exit ? { exit } : {}),
    };
  }
}

/** `tail -n 5` → 5, `-n +1` → everything. */
function tailCount(text: string): number {
  if (text.startsWith('+')) return Infinity;
  const n = Number.parseInt(text, 10);
  return Number.isFinite(n) && n >= 0 ? n : 10;
}

const SHELL_ONLY = new Set(['PS1', 'PWD', 'SHLVL', 'OLDPWD', 'IFS', 'OPTIND']);

function teeTarget(run: Run, command: Simple): string | '' | undefined {
  const first = command.words[0];
  if (!first || run.expandWord(first).replace(/^.*\//, '') !== 'tee') return undefined;
  const paths = command.words
    .slice(1)
    .map((w) => run.expandWord(w))
    .filter((a) => !a.startsWith('-'));
  return paths[0] ?? '';
}

/** `while true`, `while :`, `while sleep 5`, `until false` … with no `break` or `exit` inside. */
function endless(loop: Loop): boolean {
  if (loop.cond.length !== 1) return false;
  const item = loop.cond[0]!;
  if (item.rest.length || item.first.cmds.length !== 1 || item.first.negate) return false;
  const command = item.first.cmds[0]!;
  if (command.k !== 'simple' || command.words.some((w) => w.parts.some((p) => p.t !== 'lit')))
    return false;
  const words = command.words.map((w) => w.raw.replace(/^.*\//, ''));
  const alwaysTrue =
    words[0] === 'true' ||
    words[0] === ':' ||
    words[0] === 'sleep' ||
    (words[0] === '[' && words.length === 3 && words[1] !== '' && words[2] === ']');
  const alwaysFalse = words[0] === 'false';
  if (loop.until ? !alwaysFalse : !alwaysTrue) return false;
  const body = JSON.stringify(loop.body);
  return !/"raw":"(exit|break)"/.test(body);
}

function usesFileTests(loop: Loop): boolean {
  const text = JSON.stringify(loop);
  return /"raw":"(-[fesd])"/.test(text) || /"raw":"(cat|tail)"/.test(text);
}

/** Runs a parsed script from `options.start`. */
export function runScript(
  script: Script,
  host: ShellHost,
  env: ReadonlyMap<string, string>,
  options: RunOptions,
  argv0 = 'sh',
  argv: readonly string[] = [],
): RunResult {
  const run = new Run(host, env, options, argv0, argv);
  const flow = run.script(script, LOG);
  if (flow === 'halt') return run.result(undefined);
  const code = flow === 'exit' ? run.exitCode : run.status;
  return run.result({ at: run.t, code });
}

/** `sleep`'s arguments (summed, as busybox does) in ms; Infinity for `infinity`. */
export function parseSleep(args: readonly string[]): number | undefined {
  if (args.length === 0) return undefined;
  let total = 0;
  for (const arg of args) {
    if (arg === 'inf' || arg === 'infinity') return Infinity;
    const match = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(arg);
    if (!match) return undefined;
    const unit = { '': 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] ?? ''];
    total += Number(match[1]) * (unit ?? 1000);
  }
  return total;
}

function unescape(text: string): string {
  return text.replace(/\\([ntr\\])/g, (_, c: string) =>
    c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '' : '\\',
  );
}

/** `$((…))`: integers, + - * / %, parentheses, comparisons, variables. */
export function arithmetic(expression: string, env: ReadonlyMap<string, string>): number {
  const tokens =
    expression.match(/\d+|[A-Za-z_][A-Za-z0-9_]*|==|!=|<=|>=|&&|\|\||[-+*/%()<>!]/g) ?? [];
  let i = 0;
  const primary = (): number => {
    const token = tokens[i++];
    if (token === undefined) return 0;
    if (token === '(') {
      const value = or();
      i++;
      return value;
    }
    if (token === '-') return -primary();
    if (token === '+') return primary();
    if (token === '!') return primary() === 0 ? 1 : 0;
    if (/^\d+$/.test(token)) return Number(token);
    return Number.parseInt(env.get(token) ?? '0', 10) || 0;
  };
  const binary = (next: () => number, ops: readonly string[]): (() => number) => {
    return () => {
      let value = next();
      while (ops.includes(tokens[i] ?? '')) {
        const op = tokens[i++];
        const right = next();
        switch (op) {
          case '*':
            value *= right;
            break;
          case '/':
            value = right === 0 ? 0 : Math.trunc(value / right);
            break;
          case '%':
            value = right === 0 ? 0 : value % right;
            break;
          case '+':
            value += right;
            break;
          case '-':
            value -= right;
            break;
          case '<':
            value = value < right ? 1 : 0;
            break;
          case '>':
            value = value > right ? 1 : 0;
            break;
          case '<=':
            value = value <= right ? 1 : 0;
            break;
          case '>=':
            value = value >= right ? 1 : 0;
            break;
          case '==':
            value = value === right ? 1 : 0;
            break;
          case '!=':
            value = value !== right ? 1 : 0;
            break;
          case '&&':
            value = value !== 0 && right !== 0 ? 1 : 0;
            break;
          case '||':
            value = value !== 0 || right !== 0 ? 1 : 0;
        }
      }
      return value;
    };
  };
  const mul = binary(primary, ['*', '/', '%']);
  const add = binary(mul, ['+', '-']);
  const cmp = binary(add, ['<', '>', '<=', '>=']);
  const eq = binary(cmp, ['==', '!=']);
  const and = binary(eq, ['&&']);
  const or = binary(and, ['||']);
  return or();
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
export const MONTHS = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
];
const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** busybox/coreutils `date` in a UTC container: `Thu Jan  1 00:00:07 UTC 2026`. */
export function busyboxDate(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}
