#!/usr/bin/env node
// `npm run bench [-- --smoke] [-- NAME]`: bundles each bench/*.bench.ts with esbuild and runs it in
// its own Node process, so one benchmark's heap and timers never disturb another's. Benchmarks
// print figures; none of them asserts a time. `--smoke` runs them small (CI does this).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const only = args.filter((a) => !a.startsWith('--'));
const benches = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((name) => f.startsWith(name)));

let failures = 0;
for (const file of benches) {
  const outfile = join(root, 'out', 'bench', file.replace(/\.ts$/, '.cjs'));
  await build({
    entryPoints: [join(root, 'bench', file)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
    packages: 'external',
    banner: {
      js: "const __benchImportMetaUrl = require('node:url').pathToFileURL(__filename).href;",
    },
    define: { 'import.meta.url': '__benchImportMetaUrl' },
  });
  const run = spawnSync(process.execPath, ['--expose-gc', outfile, ...flags], {
    cwd: root,
    stdio: 'inherit',
  });
  if (run.status !== 0) {
    failures++;
    process.stderr.write(`bench ${file} exited with ${run.status}\n`);
  }
}
process.exit(failures ? 1 : 0);
