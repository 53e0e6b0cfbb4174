// The process boundary is also a type boundary: renderer code is checked without Node's types,
// main code without the DOM's. Checks fixtures with the project's own tsconfig files.
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function diagnostics(tsconfig: string, fixture: string): string[] {
  const configFile = ts.readConfigFile(join(root, tsconfig), (path) => ts.sys.readFile(path));
  const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root);
  const program = ts.createProgram({
    rootNames: [join(import.meta.dirname, 'fixtures', fixture)],
    options: parsed.options,
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('tsconfig boundaries', () => {
  it('fails a renderer file that uses `process` under the DOM config', () => {
    const messages = diagnostics('tsconfig.web.json', 'renderer-uses-process.ts');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^Cannot find name 'process'/);
  });

  it('accepts DOM code under the DOM config and rejects it under the Node config', () => {
    expect(diagnostics('tsconfig.web.json', 'renderer-uses-dom.ts')).toEqual([]);
    expect(diagnostics('tsconfig.node.json', 'renderer-uses-dom.ts')[0]).toMatch(
      /^Cannot find name 'document'/,
    );
  });
});
