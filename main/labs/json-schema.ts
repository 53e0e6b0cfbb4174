/**
 * The JSON Schema of lab.yaml, generated from the zod schema the loader validates with, so the
 * editor's completion and squiggles (labs/lab.schema.json, used through a
 * `# yaml-language-server: $schema=` line) can never disagree with the loader.
 * scripts/labs-schema.mjs writes it; json-schema.test.ts fails when the committed file drifts.
 */
import { z } from 'zod';
import { LabDocument } from './schema';

/** Draft-07: the draft YAML editors (yaml-language-server) support best. */
export function labJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(LabDocument, { io: 'input', target: 'draft-7' });
}

/** The committed file's content before formatting: JSON with two-space indents. */
export function labJsonSchemaText(): string {
  return `${JSON.stringify(labJsonSchema(), null, 2)}\n`;
}
