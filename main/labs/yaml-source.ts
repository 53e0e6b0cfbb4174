/**
 * YAML with its source positions, so every problem in a lab is reported where the author can
 * fix it (`labs/<id>/lab.yaml:LINE:COL: message`, as compilers and linters do, which editors and
 * terminals turn into links). Zod reports a path into the parsed data; this module finds the
 * YAML node at that path, and maps offsets inside an inline manifest back to lab.yaml.
 */
import {
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  parseDocument,
  type Document,
  visit,
  type Node,
} from 'yaml';

/** One problem, at a place of a file. Lines and columns count from 1. */
export interface LabProblem {
  /** The file, relative to the labs folder's parent: `labs/<id>/lab.yaml`. */
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

/** `file:line:col: message`. */
export function formatProblem(problem: LabProblem): string {
  return `${problem.file}:${problem.line}:${problem.col}: ${problem.message}`;
}

/** Where offsets of some text are in a file: the text may be a whole file or a part of one. */
export interface Origin {
  readonly file: string;
  position(offset: number): { line: number; col: number };
}

/** The origin of a whole file's text. */
export function fileOrigin(file: string, text: string): Origin {
  const lines = new LineCounter();
  let start = 0;
  for (const line of text.split('\n')) {
    lines.addNewLine(start);
    start += line.length + 1;
  }
  return { file, position: (offset) => lines.linePos(offset) };
}

/**
 * The origin of the text of a scalar written in `source` (whose origin is `outer`). A literal
 * block (`|`) keeps lines as written, so offsets inside it map to exact places; any other style
 * folds or unescapes its text, so its offsets map to where the scalar starts.
 */
export function scalarOrigin(outer: Origin, source: string, node: Node): Origin {
  const start = node.range?.[0] ?? 0;
  const fallback: Origin = { file: outer.file, position: () => outer.position(start) };
  if (!isScalar(node) || node.type !== 'BLOCK_LITERAL') return fallback;
  const bodyStart = source.indexOf('\n', start) + 1;
  if (bodyStart === 0) return fallback;
  const end = node.range?.[1] ?? source.length;
  const body = source.slice(bodyStart, end).split('\n');
  const firstText = body.find((line) => line.trim() !== '') ?? '';
  const indent = firstText.length - firstText.trimStart().length;
  const first = outer.position(bodyStart);
  const inner = fileOrigin(outer.file, typeof node.value === 'string' ? node.value : '');
  return {
    file: outer.file,
    position: (offset) => {
      const at = inner.position(offset);
      return { line: first.line + at.line - 1, col: indent + at.col };
    },
  };
}

const PARSE_OPTIONS = { prettyErrors: false, uniqueKeys: true, strict: true } as const;

function yamlProblems(doc: Document.Parsed, origin: Origin): LabProblem[] {
  const problems = [...doc.errors, ...doc.warnings].map((error) => ({
    file: origin.file,
    ...origin.position(error.pos[0]),
    message: `YAML: ${error.message}`,
  }));
  // The parser accepts an alias to an anchor that does not exist; reading it would then throw.
  visit(doc, {
    Alias: (_, node) => {
      if (node.resolve(doc) === undefined) {
        problems.push({
          file: origin.file,
          ...origin.position(node.range?.[0] ?? 0),
          message: `YAML: unresolved alias *${node.source}`,
        });
      }
    },
  });
  return problems;
}

/** One YAML document (lab.yaml), or the syntax problems that stop it being read. */
export function parseYamlDocument(
  text: string,
  origin: Origin,
): { doc: Document.Parsed } | { problems: LabProblem[] } {
  const doc = parseDocument(text, PARSE_OPTIONS);
  const problems = yamlProblems(doc, origin);
  return problems.length ? { problems } : { doc };
}

/** Every document of a YAML stream (a manifest), or the syntax problems of any of them. */
export function parseYamlDocuments(
  text: string,
  origin: Origin,
): { docs: Document.Parsed[] } | { problems: LabProblem[] } {
  const docs = parseAllDocuments(text, PARSE_OPTIONS);
  const problems = docs.flatMap((doc) => yamlProblems(doc, origin));
  return problems.length ? { problems } : { docs: [...docs] };
}

/** What a path leads to in a YAML tree: the node, or the deepest node on the way. */
export interface Located {
  /** The node at the path; undefined when the path leaves the tree (a missing field). */
  readonly node?: Node;
  /** The key of the last map entry on the way (the entry whose value is `node` when found). */
  readonly key?: Node;
  /** The deepest node reached. */
  readonly parent?: Node;
}

/** Follows a zod path (map keys and sequence indices) through a YAML tree. */
export function locate(root: Node | null | undefined, path: readonly PropertyKey[]): Located {
  let node: Node | undefined = root ?? undefined;
  let key: Node | undefined;
  let parent: Node | undefined;
  for (const segment of path) {
    parent = node;
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) return { key, parent };
      key = isNode(pair.key) ? pair.key : undefined;
      if (!isNode(pair.value)) return { key, parent };
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (!isNode(item)) return { parent };
      key = undefined;
      node = item;
    } else {
      return { key, parent };
    }
  }
  return { node, key, parent };
}

/** Where a located path should be reported: its value, else its key, else where it would be. */
export function offsetOf(located: Located): number {
  const node = located.node;
  const valueStart =
    node && !(isScalar(node) && node.source === '' && node.value === null)
      ? node.range?.[0]
      : undefined;
  return valueStart ?? located.key?.range?.[0] ?? located.parent?.range?.[0] ?? 0;
}

/** The source text of a node (for telling an unquoted `{{worker1}}` from a real mapping). */
export function sourceOf(text: string, node: Node | undefined): string {
  const range = node?.range;
  return range ? text.slice(range[0], range[1]) : '';
}

/**
 * An unquoted role placeholder: YAML reads `{{worker1}}` as a mapping in a mapping (and
 * Prettier then writes it `{ { worker1 } }`).
 */
export function isUnquotedPlaceholder(text: string, node: Node | undefined): boolean {
  return (
    isMap(node) &&
    node.flow === true &&
    /^\{\s*\{\s*[\w-]*\s*\}\s*\}$/.test(sourceOf(text, node).trim())
  );
}
