/**
 * Zod issues as lab problems: each one placed on the YAML node it is about and worded for the
 * author of a lab.yaml ("missing required field", "unknown field", "unknown op"). Unions are
 * looked into: when a value is clearly meant as one alternative (its `type` or `op` matches, or
 * only one alternative has the right shape), that alternative's own issues are reported, deep
 * where they are, instead of zod's bare "Invalid input" on the whole value.
 */
import type { Document } from 'yaml';
import type { z } from 'zod';
import { formatPath } from './schema';
import {
  isUnquotedPlaceholder,
  locate,
  offsetOf,
  type LabProblem,
  type Origin,
} from './yaml-source';

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

/** A problem before it is placed: the path it is about, and whether to point at the key. */
interface Finding {
  readonly path: Path;
  /** The path printed before the message (the object a field is missing from or unknown in). */
  readonly subject: Path;
  readonly message: string;
  readonly at: 'value' | 'key';
}

function plain(message: string): string {
  return message.replace(/^Invalid (input|option): /, '');
}

/** The alternatives' discriminator, when a branch failed because its tag did not match. */
function tagMismatch(issues: readonly Issue[]): { key: string; options: string[] } | undefined {
  for (const issue of issues) {
    if (issue.path.length !== 1 || typeof issue.path[0] !== 'string') continue;
    if (issue.code === 'invalid_union' && issue.discriminator !== undefined) {
      const options = 'options' in issue ? (issue.options ?? []) : [];
      return { key: issue.path[0], options: options.map(String) };
    }
    if (issue.code === 'invalid_value' && issue.values.length === 1) {
      return { key: issue.path[0], options: issue.values.map(String) };
    }
  }
  return undefined;
}

function wrongShape(issues: readonly Issue[]): boolean {
  return (
    tagMismatch(issues) !== undefined ||
    issues.some((issue) => issue.code === 'invalid_type' && issue.path.length === 0)
  );
}

function taggedMessage(
  key: string,
  options: readonly string[],
  value: unknown,
): { message: string; missing: boolean } {
  const expected = `expected one of: ${[...new Set(options)].join(', ')}`;
  if (value === undefined)
    return { message: `missing required field "${key}" (${expected})`, missing: true };
  return { message: `unknown ${key} ${JSON.stringify(value)} (${expected})`, missing: false };
}

function valueAt(data: unknown, path: Path): unknown {
  let value = data;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

function findings(
  issue: Issue,
  base: Path,
  data: unknown,
  doc: Document.Parsed,
  text: string,
): Finding[] {
  const path = [...base, ...issue.path];
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        path: [...path, key],
        subject: path,
        message: `unknown field "${key}"`,
        at: 'key',
      }));
    case 'invalid_key':
      return [
        {
          path,
          subject: path,
          message: plain(issue.issues[0]?.message ?? issue.message),
          at: 'key',
        },
      ];
    case 'invalid_union': {
      if (issue.discriminator !== undefined) {
        const key = issue.discriminator;
        const holder = path.at(-1) === key ? path.slice(0, -1) : path;
        const options = 'options' in issue ? (issue.options ?? []).map(String) : [];
        const tagged = taggedMessage(key, options, valueAt(data, [...holder, key]));
        return [
          tagged.missing
            ? { path: holder, subject: holder, message: tagged.message, at: 'value' }
            : {
                path: [...holder, key],
                subject: [...holder, key],
                message: tagged.message,
                at: 'value',
              },
        ];
      }
      const branches = issue.errors;
      const fitting = branches.filter((branch) => !wrongShape(branch));
      if (fitting.length === 1) {
        return fitting[0]!.flatMap((inner) => findings(inner, path, data, doc, text));
      }
      const tags = branches.map(tagMismatch);
      const key = tags[0]?.key;
      if (fitting.length === 0 && key !== undefined && tags.every((tag) => tag?.key === key)) {
        const options = tags.flatMap((tag) => tag?.options ?? []);
        const tagged = taggedMessage(key, options, valueAt(data, [...path, key]));
        const at = tagged.missing ? path : [...path, key];
        return [{ path: at, subject: at, message: tagged.message, at: 'value' }];
      }
      const message =
        issue.message === 'Invalid input' ? 'matches none of the allowed forms' : issue.message;
      return [{ path, subject: path, message, at: 'value' }];
    }
    case 'invalid_type':
    case 'invalid_value': {
      const located = locate(doc.contents, path);
      if (!located.node && path.length > 0 && valueAt(data, path) === undefined) {
        const field = String(path.at(-1));
        const subject = path.slice(0, -1);
        const expected = issue.code === 'invalid_value' ? ` (${plain(issue.message)})` : '';
        const message = `missing required field "${field}"${expected}`;
        return [{ path, subject, message, at: 'value' }];
      }
      if (
        issue.code === 'invalid_type' &&
        issue.expected === 'string' &&
        isUnquotedPlaceholder(text, located.node)
      ) {
        return [
          {
            path,
            subject: path,
            message: "quote role placeholders, or YAML reads them as a mapping: '{{worker1}}'",
            at: 'value',
          },
        ];
      }
      return [{ path, subject: path, message: plain(issue.message), at: 'value' }];
    }
    default:
      return [{ path, subject: path, message: plain(issue.message), at: 'value' }];
  }
}

/** The problems of a failed parse of `data` (read from `doc`), each at its node. */
export function issueProblems(
  issues: readonly Issue[],
  data: unknown,
  doc: Document.Parsed,
  text: string,
  origin: Origin,
): LabProblem[] {
  const seen = new Set<string>();
  const problems: LabProblem[] = [];
  for (const finding of issues.flatMap((issue) => findings(issue, [], data, doc, text))) {
    const located = locate(doc.contents, finding.path);
    const offset =
      finding.at === 'key' && located.key?.range ? located.key.range[0] : offsetOf(located);
    const subject = formatPath(finding.subject);
    const message = subject ? `${subject}: ${finding.message}` : finding.message;
    const problem = { file: origin.file, ...origin.position(offset), message };
    const id = `${problem.line}:${problem.col}:${message}`;
    if (!seen.has(id)) problems.push(problem);
    seen.add(id);
  }
  return problems;
}
