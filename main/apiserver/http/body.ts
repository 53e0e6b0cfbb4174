/**
 * Request bodies: read with kube-apiserver's 3 MiB cap (413 beyond it), refuse deeply nested and
 * alias-bomb documents with a 400 before any parser can be made to recurse or expand without
 * bound, and parse JSON or YAML.
 */
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { errors } from '../../kube/status';

/** `--max-request-body-bytes` default. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
/** The deepest nesting accepted (sigs.k8s.io/json stops at 10000; we are stricter). */
export const MAX_DEPTH = 1000;

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw errors.requestEntityTooLarge(`limit is ${limit}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw errors.requestEntityTooLarge(`limit is ${limit}`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The deepest bracket nesting of a JSON or YAML flow text (strings skipped). */
export function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '{' || c === '[') {
      depth++;
      if (depth > max) max = depth;
    } else if (c === '}' || c === ']') depth--;
  }
  return max;
}

/** Parses JSON, answering Go's messages for bad input. */
export function parseJson(text: string): unknown {
  if (nestingDepth(text) > MAX_DEPTH)
    throw errors.badRequest(`json: exceeded max depth of ${MAX_DEPTH}`);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const detail = text.trim() === '' ? 'unexpected end of JSON input' : (error as Error).message;
    throw errors.badRequest(`couldn't get version/kind; json parse error: ${detail}`);
  }
}

/** Parses one YAML document, refusing alias bombs and deep nesting. */
export function parseYamlDocument(text: string): unknown {
  if (nestingDepth(text) > MAX_DEPTH)
    throw errors.badRequest(`yaml: exceeded max depth of ${MAX_DEPTH}`);
  const indentDepth = Math.max(
    0,
    ...text.split('\n').map((line) => line.length - line.trimStart().length),
  );
  if (indentDepth > MAX_DEPTH * 2)
    throw errors.badRequest(`yaml: exceeded max depth of ${MAX_DEPTH}`);
  try {
    const documents = parseAllDocuments(text, { uniqueKeys: false });
    const list = Array.isArray(documents) ? documents : [documents];
    if (list.length > 1)
      throw errors.badRequest('yaml: multiple documents are not supported in one request body');
    const first = list[0];
    if (!first) return null;
    if (first.errors.length) throw new Error(first.errors[0]!.message);
    return first.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (error) {
    if (error instanceof Error && 'status' in error) throw error;
    throw errors.badRequest(
      `error converting YAML to JSON: yaml: ${(error as Error).message.split('\n')[0]}`,
    );
  }
}

/** Parses JSON, or YAML when the content type says so (YAML is a superset of JSON). */
export function parseStructured(text: string, yaml: boolean): unknown {
  return yaml ? parseYamlDocument(text) : parseJson(text);
}

export { parseYaml };
