/**
 * kubectl's JSONPath (`kubectl get -o jsonpath=…`, `-o custom-columns`, `kubectl wait
 * --for=jsonpath`): a port of k8s.io/client-go/util/jsonpath (parser.go and jsonpath.go) over
 * plain JSON, so labs check fields with the very expressions learners type.
 *
 * Why not a library: the well-kept npm JSONPath engines (jsonpath-plus, jsonpath) speak Goessner's
 * dialect — `$`-rooted paths, JavaScript filter expressions, no `{…}` templates with text between
 * them, no `range`/`end`, no `\.` escapes in field names, no Go-style printing — and
 * jsonpath-plus's current major needs Node 22. kubectl's dialect differs in exactly the places labs
 * use, so this follows the upstream parser token by token instead.
 *
 * Deviations, each harmless for Kubernetes objects: numbers compare as numbers in filters whether
 * integral or not (Go refuses to compare an int64 with a float64); a string is a leaf for `*` and
 * `..` (Go walks its bytes); map wildcards follow the object's key order (Go's is random).
 */
import { isPlainObject } from './objects';

export type JsonPathErrorCode = 'syntax' | 'missing' | 'index' | 'eval';

/** A parse or evaluation error, with kubectl's message and what kind of failure it is. */
export class JsonPathError extends Error {
  constructor(
    message: string,
    readonly code: JsonPathErrorCode,
  ) {
    super(message);
    this.name = 'JsonPathError';
  }
}

interface Param {
  value: number;
  known: boolean;
  derived: boolean;
}

interface ListNode {
  readonly kind: 'list';
  readonly nodes: Node[];
}

type Node =
  | ListNode
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'array'; readonly params: readonly [Param, Param, Param] }
  | {
      readonly kind: 'filter';
      readonly left: ListNode;
      readonly right: ListNode;
      readonly operator: string;
    }
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'wildcard' }
  | { readonly kind: 'recursive' }
  | { readonly kind: 'union'; readonly lists: readonly ListNode[] }
  | { readonly kind: 'identifier'; readonly name: string };

/** A template's top level: text, `{…}` actions, and `{range …}…{end}` blocks. */
type Segment =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'action'; readonly list: ListNode }
  | { readonly kind: 'range'; readonly list: ListNode; readonly body: readonly Segment[] };

/** A parsed template, ready to run over any number of objects. */
export interface JsonPathTemplate {
  readonly text: string;
  readonly segments: readonly Segment[];
}

export interface JsonPathOptions {
  /**
   * A missing field gives no result rather than an error (`--allow-missing-template-keys`, which
   * `kubectl get` leaves on).
   */
  readonly allowMissingKeys?: boolean;
}

const newList = (): ListNode => ({ kind: 'list', nodes: [] });

const dictKeyRex = /^'([^']*)'$/;
const sliceOperatorRex = /^(-?\d*)(:-?\d*)?(:-?\d*)?$/;
const filterRex = /^([^!<>=]+)([!<>=]+)(.+?)$/;

const isSpace = (r: string): boolean => r === ' ' || r === '\t';
const isEndOfLine = (r: string): boolean => r === '\r' || r === '\n';
const isDigit = (r: string): boolean => r >= '0' && r <= '9';
const isAlphaNumeric = (r: string): boolean => r === '_' || /^[\p{L}\p{Nd}]$/u.test(r);

/** `isTerminator`: what may follow an identifier or a field name. */
function isTerminator(r: string): boolean {
  if (r === '' || isSpace(r) || isEndOfLine(r)) return true;
  return '.,[]$@{}'.includes(r);
}

/** `%#U` of a character, as the "unrecognized character" error prints it. */
function goRune(r: string): string {
  const code = r.codePointAt(0) ?? 0;
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')} '${r}'`;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
};

/** `UnquoteExtend`: strconv.Unquote, for double- or single-quoted text. */
function unquote(quoted: string): string {
  const quote = quoted[0];
  if (quoted.length < 2 || (quote !== '"' && quote !== "'") || quoted.at(-1) !== quote) {
    throw new JsonPathError('invalid syntax', 'syntax');
  }
  const body = quoted.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === quote) throw new JsonPathError('invalid syntax', 'syntax');
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    if (e !== undefined && Object.hasOwn(SIMPLE_ESCAPES, e)) {
      out += SIMPLE_ESCAPES[e];
      continue;
    }
    const width = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    const hex = body.slice(i + 1, i + 1 + width);
    if (width === 0 || !/^[0-9a-fA-F]+$/.test(hex) || hex.length !== width) {
      throw new JsonPathError('invalid syntax', 'syntax');
    }
    out += String.fromCodePoint(Number.parseInt(hex, 16));
    i += width;
  }
  return out;
}

/** The parser of client-go's parser.go, one method per upstream function. */
class Parser {
  private pos = 0;
  private start = 0;
  readonly root: ListNode = newList();

  constructor(private readonly input: string) {}

  /** `Parse`/`parseText`: text up to each `{`, then the action inside. */
  parse(): ListNode {
    for (;;) {
      const at = this.input.indexOf('{', this.pos);
      if (at < 0) break;
      if (at > this.start)
        this.root.nodes.push({ kind: 'text', text: this.input.slice(this.start, at) });
      this.pos = at + 1;
      this.start = this.pos;
      const action = newList();
      this.root.nodes.push(action);
      this.parseInsideAction(action);
    }
    this.pos = this.input.length;
    if (this.pos > this.start) this.root.nodes.push({ kind: 'text', text: this.consumeText() });
    return this.root;
  }

  private consumeText(): string {
    const value = this.input.slice(this.start, this.pos);
    this.start = this.pos;
    return value;
  }

  /** The next character, '' at the end (Go's `eof`). */
  private next(): string {
    if (this.pos >= this.input.length) return '';
    return this.input[this.pos++]!;
  }

  private backup(r: string): void {
    if (r !== '') this.pos--;
  }

  private peek(): string {
    return this.input[this.pos] ?? '';
  }

  private rest(): string {
    return this.input.slice(this.pos);
  }

  /** `parseInsideAction`, as a loop (upstream recurses once per token). */
  private parseInsideAction(cur: ListNode): void {
    for (;;) {
      const rest = this.rest();
      if (rest.startsWith('}')) {
        this.pos++;
        this.consumeText();
        return;
      }
      if (rest.startsWith('[?(')) {
        this.parseFilter(cur);
        continue;
      }
      if (rest.startsWith('..')) {
        this.parseRecursive(cur);
        continue;
      }
      const r = this.next();
      if (r === '' || isEndOfLine(r)) throw new JsonPathError('unclosed action', 'syntax');
      if (r === ' ' || r === '@' || r === '$') {
        // A space, or the current object (`@`, `$`): nothing to do.
        this.consumeText();
      } else if (r === '[') {
        this.parseArray(cur);
      } else if (r === '"' || r === "'") {
        this.parseQuote(cur, r);
      } else if (r === '.') {
        this.parseField(cur);
      } else if (r === '+' || r === '-' || isDigit(r)) {
        this.backup(r);
        this.parseNumber(cur);
      } else if (isAlphaNumeric(r)) {
        this.backup(r);
        this.parseIdentifier(cur);
      } else {
        throw new JsonPathError(`unrecognized character in action: ${goRune(r)}`, 'syntax');
      }
    }
  }

  /** `parseIdentifier`: `range`, `end`, `true`, `false`. */
  private parseIdentifier(cur: ListNode): void {
    for (;;) {
      const r = this.next();
      if (isTerminator(r)) {
        this.backup(r);
        break;
      }
    }
    const value = this.consumeText();
    if (value === 'true' || value === 'false')
      cur.nodes.push({ kind: 'bool', value: value === 'true' });
    else cur.nodes.push({ kind: 'identifier', name: value });
  }

  /** `parseRecursive`: `..`. */
  private parseRecursive(cur: ListNode): void {
    if (cur.nodes.at(-1)?.kind === 'recursive') {
      throw new JsonPathError('invalid multiple recursive descent', 'syntax');
    }
    this.pos += 2;
    this.consumeText();
    cur.nodes.push({ kind: 'recursive' });
    if (isAlphaNumeric(this.peek())) this.parseField(cur);
  }

  /** `parseNumber`: an int (strconv.Atoi) or else a float. */
  private parseNumber(cur: ListNode): void {
    const sign = this.peek();
    if (sign === '+' || sign === '-') this.next();
    for (;;) {
      const r = this.next();
      if (r !== '.' && !isDigit(r)) {
        this.backup(r);
        break;
      }
    }
    const value = this.consumeText();
    if (/^[+-]?\d+$/.test(value)) cur.nodes.push({ kind: 'int', value: Number(value) });
    else if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(value))
      cur.nodes.push({ kind: 'float', value: Number(value) });
    else throw new JsonPathError(`cannot parse number ${value}`, 'syntax');
  }

  /** `parseArray`: `[n]`, `[a:b:c]`, `[*]`, `['key']`, and unions `[a,b]`. */
  private parseArray(cur: ListNode): void {
    for (;;) {
      const r = this.next();
      if (r === '' || r === '\n') throw new JsonPathError('unterminated array', 'syntax');
      if (r === ']') break;
    }
    let text = this.consumeText().slice(1, -1);
    if (text === '*') text = ':';
    const parts = text.split(',');
    if (parts.length > 1) {
      cur.nodes.push({
        kind: 'union',
        lists: parts.map((part) => parseAction(`[${part.trim()}]`)),
      });
      return;
    }
    const key = dictKeyRex.exec(text);
    if (key) {
      // Upstream parses the key as `.key`, so a dotted key splits into fields here too.
      cur.nodes.push(...parseAction(`.${key[1]!}`).nodes);
      return;
    }
    const slice = sliceOperatorRex.exec(text);
    if (!slice) throw new JsonPathError(`invalid array index ${text}`, 'syntax');
    const params: [Param, Param, Param] = [
      { value: 0, known: false, derived: false },
      { value: 0, known: false, derived: false },
      { value: 0, known: false, derived: false },
    ];
    for (let i = 0; i < 3; i++) {
      let part = slice[i + 1] ?? '';
      if (part !== '') {
        if (i > 0) part = part.slice(1);
        if (i > 0 && part === '') {
          params[i]!.known = false;
        } else {
          if (!/^[+-]?\d+$/.test(part))
            throw new JsonPathError(`array index ${part} is not a number`, 'syntax');
          params[i] = { value: Number(part), known: true, derived: false };
        }
      } else if (i === 1) {
        params[1] = { value: params[0].value + 1, known: true, derived: true };
      }
    }
    cur.nodes.push({ kind: 'array', params });
  }

  /** `parseFilter`: `[?(@.type=="Ready")]`, or `[?(@.key)]` for existence. */
  private parseFilter(cur: ListNode): void {
    this.pos += 3;
    this.consumeText();
    let begin = false;
    let end = false;
    let pair = '';
    for (;;) {
      const r = this.next();
      if (r === '' || r === '\n') throw new JsonPathError('unterminated filter', 'syntax');
      if (r === '"' || r === "'") {
        if (!begin) {
          begin = true;
          pair = r;
          continue;
        }
        if (this.input[this.pos - 2] !== '\\' && r === pair) end = true;
      } else if (r === ')' && begin === end) {
        break;
      }
    }
    if (this.next() !== ']') throw new JsonPathError('unclosed array expect ]', 'syntax');
    const text = this.consumeText().slice(0, -2);
    const parts = filterRex.exec(text);
    if (!parts) {
      cur.nodes.push({
        kind: 'filter',
        left: parseAction(text),
        right: newList(),
        operator: 'exists',
      });
    } else {
      cur.nodes.push({
        kind: 'filter',
        left: parseAction(parts[1]!),
        right: parseAction(parts[3]!),
        operator: parts[2]!,
      });
    }
  }

  /** `parseQuote`: a quoted string, as text. */
  private parseQuote(cur: ListNode, end: string): void {
    for (;;) {
      const r = this.next();
      if (r === '' || r === '\n') throw new JsonPathError('unterminated quoted string', 'syntax');
      if (r === end && this.input[this.pos - 2] !== '\\') break;
    }
    const value = this.consumeText();
    let text: string;
    try {
      text = unquote(value);
    } catch (error) {
      throw new JsonPathError(
        `unquote string ${value} error ${(error as Error).message}`,
        'syntax',
      );
    }
    cur.nodes.push({ kind: 'text', text });
  }

  /** `parseField`: a name up to the next unescaped terminator; `\` escapes (e.g. `\.`). */
  private parseField(cur: ListNode): void {
    this.consumeText();
    for (;;) {
      const r = this.next();
      if (r === '\\') {
        this.next();
        continue;
      }
      if (isTerminator(r)) {
        this.backup(r);
        break;
      }
    }
    const value = this.consumeText();
    if (value === '*') cur.nodes.push({ kind: 'wildcard' });
    else cur.nodes.push({ kind: 'field', name: value.replaceAll('\\', '') });
  }
}

/** `parseAction`: the nodes of `{text}`. */
function parseAction(text: string): ListNode {
  const root = new Parser(`{${text}}`).parse();
  const first = root.nodes[0];
  return first?.kind === 'list' ? first : newList();
}

/** Groups `{range …}` … `{end}` into blocks (FindResults' beginRange/endRange bookkeeping). */
function segmentsOf(nodes: readonly Node[]): Segment[] {
  const stack: Array<{ list: ListNode; body: Segment[] }> = [];
  let out: Segment[] = [];
  for (const node of nodes) {
    if (node.kind === 'text') {
      out.push({ kind: 'text', text: node.text });
      continue;
    }
    if (node.kind !== 'list') continue;
    const head = node.nodes[0];
    if (head?.kind === 'identifier' && head.name === 'range') {
      stack.push({ list: { kind: 'list', nodes: node.nodes.slice(1) }, body: out });
      out = [];
    } else if (head?.kind === 'identifier' && head.name === 'end') {
      const open = stack.pop();
      if (!open) throw new JsonPathError('not in range, nothing to end', 'syntax');
      open.body.push({ kind: 'range', list: open.list, body: out });
      out = open.body;
    } else {
      out.push({ kind: 'action', list: node });
    }
  }
  // An unclosed range runs to the end of the template.
  while (stack.length > 0) {
    const open = stack.pop()!;
    open.body.push({ kind: 'range', list: open.list, body: out });
    out = open.body;
  }
  return out;
}

/** Parses a template as kubectl's `-o jsonpath=` takes it. Throws JsonPathError. */
export function parseJsonPath(text: string): JsonPathTemplate {
  const root = new Parser(text).parse();
  return { text, segments: segmentsOf(root.nodes) };
}

/**
 * `RelaxedJSONPathExpression` (kubectl custom-columns, `kubectl wait --for=jsonpath`): accepts
 * `a.b`, `.a.b`, `{a.b}` and `{.a.b}` for one path and returns `{.a.b}`.
 */
export function relaxedJsonPathExpression(path: string): string {
  if (path === '') return path;
  const match = /^\{\.?([^{}]+)\}$|^\.?([^{}]+)$/.exec(path);
  if (!match) {
    throw new JsonPathError(
      "unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'",
      'syntax',
    );
  }
  return `{.${match[1] ?? match[2] ?? ''}}`;
}

// -------------------------------------------------------------------------------------------
// Evaluation (jsonpath.go)

const isNil = (value: unknown): boolean => value === null || value === undefined;

/** Go's name for a JSON value's type, for error messages. */
function goType(value: unknown): string {
  if (Array.isArray(value)) return '[]interface {}';
  if (isPlainObject(value)) return 'map[string]interface {}';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'float64';
  if (typeof value === 'boolean') return 'bool';
  return typeof value;
}

type BasicKind = 'bool' | 'number' | 'string';

/** `basicKind` of the forked text/template: only scalars compare. */
function basicKind(value: unknown): BasicKind {
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'string') return 'string';
  throw new JsonPathError('invalid type for comparison', 'eval');
}

/** template.Equal / Less and friends, for one pair of scalars. */
function compare(left: unknown, right: unknown, operator: string): boolean {
  const k1 = basicKind(left);
  const k2 = basicKind(right);
  if (k1 !== k2) throw new JsonPathError('incompatible types for comparison', 'eval');
  if (operator === '==') return left === right;
  if (operator === '!=') return left !== right;
  if (k1 === 'bool') throw new JsonPathError('invalid type for comparison', 'eval');
  const a = left as number | string;
  const b = right as number | string;
  switch (operator) {
    case '<':
      return a < b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    case '>=':
      return a >= b;
    default:
      throw new JsonPathError(`unrecognized filter operator ${operator}`, 'eval');
  }
}

/** The children `*` and `..` walk: a map's values, an array's items; strings are leaves here. */
function childrenOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value as unknown[];
  if (isPlainObject(value)) return Object.values(value);
  return [];
}

class Evaluator {
  constructor(private readonly allowMissingKeys: boolean) {}

  walk(values: readonly unknown[], node: Node): unknown[] {
    switch (node.kind) {
      case 'list':
        return this.evalList(values, node);
      case 'text':
        return [node.text];
      case 'field':
        return this.evalField(values, node.name);
      case 'array':
        return this.evalArray(values, node.params);
      case 'filter':
        return this.evalFilter(values, node);
      case 'int':
      case 'float':
      case 'bool':
        return values.map(() => node.value);
      case 'wildcard':
        return values.filter((v) => !isNil(v)).flatMap(childrenOf);
      case 'recursive':
        return this.evalRecursive(values);
      case 'union':
        return node.lists.flatMap((list) => this.evalList(values, list));
      case 'identifier':
        throw new JsonPathError(`unrecognized identifier ${node.name}`, 'eval');
    }
  }

  evalList(values: readonly unknown[], list: ListNode): unknown[] {
    let current = [...values];
    for (const node of list.nodes) current = this.walk(current, node);
    return current;
  }

  /** `evalField`: a map key of each value; "x is not found" when none has it. */
  private evalField(values: readonly unknown[], name: string): unknown[] {
    if (values.length === 0) return [];
    const results: unknown[] = [];
    for (const value of values) {
      if (isPlainObject(value) && Object.hasOwn(value, name)) results.push(value[name]);
    }
    if (results.length === 0 && !this.allowMissingKeys) {
      throw new JsonPathError(`${name} is not found`, 'missing');
    }
    return results;
  }

  /** `evalArray`: an index or a slice of each array, with upstream's bounds errors. */
  private evalArray(values: readonly unknown[], node: readonly [Param, Param, Param]): unknown[] {
    const results: unknown[] = [];
    for (const value of values) {
      if (isNil(value)) continue;
      if (!Array.isArray(value)) {
        throw new JsonPathError(`${goType(value)} is not array or slice`, 'eval');
      }
      const length = value.length;
      let from = node[0].known ? node[0].value : 0;
      if (from < 0) from += length;
      let to = node[1].known ? node[1].value : length;
      if (to < 0 || (to === 0 && node[1].derived)) to += length;
      if (to === from) continue;
      if (from >= length || from < 0) {
        throw new JsonPathError(
          `array index out of bounds: index ${from}, length ${length}`,
          'index',
        );
      }
      if (to > length || to < 0) {
        throw new JsonPathError(
          `array index out of bounds: index ${to - 1}, length ${length}`,
          'index',
        );
      }
      if (from > to) {
        throw new JsonPathError(
          `starting index ${from} is greater than ending index ${to}`,
          'index',
        );
      }
      let step = 1;
      if (node[2].known) {
        if (node[2].value <= 0) throw new JsonPathError('step must be > 0', 'eval');
        step = node[2].value;
      }
      for (let i = from; i < to; i += step) results.push(value[i]);
    }
    return results;
  }

  /** `evalFilter`: the items of each array for which the comparison holds. */
  private evalFilter(
    values: readonly unknown[],
    node: { left: ListNode; right: ListNode; operator: string },
  ): unknown[] {
    const results: unknown[] = [];
    for (const value of values) {
      if (isNil(value)) continue;
      if (!Array.isArray(value)) {
        throw new JsonPathError(
          `${JSON.stringify(value)} is not array or slice and cannot be filtered`,
          'eval',
        );
      }
      for (const item of value as unknown[]) {
        if (node.operator === 'exists') {
          let lefts: unknown[] = [];
          try {
            lefts = this.evalList([item], node.left);
          } catch {
            lefts = [];
          }
          if (lefts.length > 0) results.push(item);
          continue;
        }
        const lefts = this.evalList([item], node.left);
        if (lefts.length === 0) continue;
        if (lefts.length > 1)
          throw new JsonPathError('can only compare one element at a time', 'eval');
        const rights = this.evalList([item], node.right);
        if (rights.length === 0) continue;
        if (rights.length > 1)
          throw new JsonPathError('can only compare one element at a time', 'eval');
        if (compare(lefts[0], rights[0], node.operator)) results.push(item);
      }
    }
    return results;
  }

  /** `evalRecursive`: every container below each value, itself first. */
  private evalRecursive(values: readonly unknown[]): unknown[] {
    const result: unknown[] = [];
    for (const value of values) {
      if (isNil(value)) continue;
      const children = childrenOf(value);
      if (children.length === 0) continue;
      result.push(value);
      result.push(...this.evalRecursive(children));
    }
    return result;
  }

  /** `FindResults`: one group of values per text or action, ranges repeated per item. */
  findResults(data: unknown, segments: readonly Segment[], out: unknown[][]): void {
    for (const segment of segments) {
      switch (segment.kind) {
        case 'text':
          out.push([segment.text]);
          break;
        case 'action':
          out.push(this.evalList([data], segment.list));
          break;
        case 'range':
          for (const item of this.evalList([data], segment.list)) {
            this.findResults(item, segment.body, out);
          }
          break;
      }
    }
  }
}

/** The results of a template over one object: one group of values per text or `{…}`. */
export function findJsonPathResults(
  template: JsonPathTemplate,
  data: unknown,
  options: JsonPathOptions = {},
): unknown[][] {
  const out: unknown[][] = [];
  new Evaluator(options.allowMissingKeys ?? false).findResults(data, template.segments, out);
  return out;
}

// -------------------------------------------------------------------------------------------
// Printing (PrintResults, evalToText)

/** Go's `%v` of a float64 (strconv 'g', shortest): an exponent below -4 or from 6 up is `e±XX`. */
function goFloat(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : value < 0 ? '-Inf' : 'NaN';
  const [mantissa, exponentText] = value.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return String(value);
}

/** Go's json.Marshal of decoded JSON: keys sorted, `<`, `>` and `&` escaped. */
function goJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${goString(k)}:${goJson(value[k])}`).join(',')}}`;
  }
  if (typeof value === 'string') return goString(value);
  return JSON.stringify(value) ?? 'null';
}

function goString(text: string): string {
  return JSON.stringify(text)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * How kubectl prints one value (`PrintResults`): maps and lists as compact JSON, strings as they
 * are, integers in decimal (kubectl's unstructured objects hold them as int64), other numbers as
 * Go's `%v`, null as `<nil>`.
 */
export function jsonPathText(value: unknown): string {
  if (Array.isArray(value) || isPlainObject(value)) return goJson(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : goFloat(value);
  if (typeof value === 'boolean') return String(value);
  return '<nil>';
}

/** `PrintResults` over every group: values of a group joined by a space, groups back to back. */
export function printJsonPathResults(results: readonly (readonly unknown[])[]): string {
  return results.map((group) => group.map(jsonPathText).join(' ')).join('');
}

/** `kubectl get -o jsonpath=TEMPLATE` on one object (missing keys allowed, as kubectl does). */
export function executeJsonPath(
  template: JsonPathTemplate | string,
  data: unknown,
  options: JsonPathOptions = { allowMissingKeys: true },
): string {
  const parsed = typeof template === 'string' ? parseJsonPath(template) : template;
  return printJsonPathResults(findJsonPathResults(parsed, data, options));
}
