#!/usr/bin/env node
// Writes labs/lab.schema.json, the JSON Schema editors use for lab.yaml, from the zod schema the
// lab loader validates with (main/labs/schema.ts), so the two cannot disagree. Scripts run on
// plain Node, which cannot import TypeScript: the generator is bundled with esbuild (zod
// included) in memory and imported from a data: URL. The output is formatted with the repo's
// Prettier settings so `prettier --check` passes on the committed file.
//   --check   write nothing; exit 1 when the committed file is out of date
// main/labs/json-schema.test.ts runs the same comparison in `npm run verify`.
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outFile = join(root, 'labs', 'lab.schema.json');

async function generate() {
  const bundle = await build({
    entryPoints: [join(root, 'main', 'labs', 'json-schema.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    write: false,
    logLevel: 'warning',
    absWorkingDir: root,
  });
  const code = bundle.outputFiles[0].text;
  const module = await import(
    `data:text/javascript;base64,${Buffer.from(code).toString('base64')}`
  );
  const options = (await prettier.resolveConfig(outFile)) ?? {};
  return prettier.format(module.labJsonSchemaText(), { ...options, filepath: outFile });
}

const text = await generate();
const name = relative(root, outFile);
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(outFile, 'utf8');
  } catch {
    // A missing file is out of date too.
  }
  if (current !== text) {
    console.error(`${name} is out of date: run npm run labs:schema`);
    process.exit(1);
  }
} else {
  writeFileSync(outFile, text);
  console.error(`kubelab: wrote ${name}`);
}
