// Runs ESLint with the project's layering rules (eslint/layering.mjs) over a fixture tree that has
// every area of main/ and the renderer. Each fixture's first line says which rules it must break
// (`// expect: rule-a, rule-b`) or that it must be clean (`// expect: nothing`).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { LAYERS, layeringPathsBlock, restrictedImportBlocks } from '../../eslint/layering.mjs';

const tree = join(import.meta.dirname, 'fixtures', 'tree');

function fixtures(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? fixtures(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

function expected(file: string): string[] {
  const header = /^\/\/ expect: (.*)$/m.exec(readFileSync(file, 'utf8'));
  if (!header?.[1]) throw new Error(`${file} has no "// expect:" header`);
  return header[1] === 'nothing' ? [] : header[1].split(/,\s*/).sort();
}

const eslint = new ESLint({
  cwd: tree,
  overrideConfigFile: true,
  overrideConfig: [
    { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
    layeringPathsBlock(tree),
    ...restrictedImportBlocks(),
  ],
});

const files = fixtures(tree);

describe('layering lint rules', () => {
  it('has a fixture that breaks a rule in every area', () => {
    const areasWithViolations = new Set(
      files.filter((f) => expected(f).length > 0).map((f) => relative(tree, f).split('/')[1]),
    );
    for (const layer of LAYERS) expect(areasWithViolations, layer.area).toContain(layer.area);
    expect(areasWithViolations).toContain('src'); // renderer/src
  });

  it.each(files.map((f) => [relative(tree, f), f]))('%s', async (_name, file) => {
    const [result] = await eslint.lintFiles([file]);
    const fatal = result!.messages.filter((m) => m.fatal);
    expect(fatal).toEqual([]);
    const rules = [...new Set(result!.messages.map((m) => m.ruleId ?? ''))].sort();
    expect(rules).toEqual(expected(file));
    for (const message of result!.messages) expect(message.message).toMatch(/DESIGN\.md/);
  });
});
