import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';
import { labJsonSchema, labJsonSchemaText } from './json-schema';
import { OPERATION_KINDS } from './schema';

const committedFile = join(import.meta.dirname, '..', '..', 'labs', 'lab.schema.json');

describe('labs/lab.schema.json', () => {
  it('is what the lab schema generates (else run: npm run labs:schema)', async () => {
    const options = (await prettier.resolveConfig(committedFile)) ?? {};
    const generated = await prettier.format(labJsonSchemaText(), {
      ...options,
      filepath: committedFile,
    });
    const committed = await readFile(committedFile, 'utf8').catch(() => '');
    // Not toEqual: a 70 kB diff would bury the one line that matters.
    expect(
      committed === generated,
      'labs/lab.schema.json is out of date with main/labs/schema.ts: run `npm run labs:schema` and commit the result',
    ).toBe(true);
  });

  it('describes lab.yaml for editors: closed objects, required fields, every operation', () => {
    const schema = labJsonSchema() as {
      $schema: string;
      additionalProperties: boolean;
      required: string[];
      definitions: { Operation: { oneOf: Array<{ properties: { op: { const: string } } }> } };
    };
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual([
      'id',
      'title',
      'lesson',
      'level',
      'minutes',
      'task',
      'cluster',
    ]);
    expect(schema.definitions.Operation.oneOf.map((option) => option.properties.op.const)).toEqual(
      OPERATION_KINDS,
    );
  });
});
