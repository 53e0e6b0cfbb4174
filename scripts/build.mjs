#!/usr/bin/env node
// Builds everything `out/` holds: the Node bundles (CLI, npm-start launcher, Electron main and
// preload) with esbuild, and the renderer with Vite. Runs on `npm install` (prepare) too.
//   --node-only   skip the renderer
//   --if-stale    do nothing when out/ is newer than every source file
import { build as esbuild } from 'esbuild';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSchemas } from './openapi/generate.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const nodeEntries = {
  kubelab: 'main/cli/main.ts',
  start: 'main/cli/start.ts',
  'electron-main': 'main/app/main.ts',
};
const stampFile = join(root, 'out', 'node', 'kubelab.cjs');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function isStale() {
  if (!existsSync(stampFile) || !existsSync(join(root, 'out', 'renderer', 'index.html')))
    return true;
  const built = statSync(stampFile).mtimeMs;
  const sources = Math.max(
    newestMtime(join(root, 'main')),
    newestMtime(join(root, 'renderer')),
    newestMtime(join(root, 'scripts', 'openapi')),
    statSync(join(root, 'package.json')).mtimeMs,
    statSync(join(root, 'vite.config.mts')).mtimeMs,
  );
  return sources > built;
}

async function buildNode() {
  const external = ['electron', 'vite', ...Object.keys(pkg.dependencies ?? {})];
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'linked',
    logLevel: 'warning',
    external,
    absWorkingDir: root,
  };
  await esbuild({
    ...common,
    entryPoints: Object.fromEntries(
      Object.entries(nodeEntries).map(([name, file]) => [name, join(root, file)]),
    ),
    outdir: join(root, 'out', 'node'),
    outExtension: { '.js': '.cjs' },
    // The sources are ES modules; in the CommonJS bundles import.meta.url comes from __filename.
    banner: {
      js: "const __kubelabImportMetaUrl = require('node:url').pathToFileURL(__filename).href;",
    },
    define: { 'import.meta.url': '__kubelabImportMetaUrl' },
  });
  // The preload runs sandboxed: it may require only 'electron', so it gets no banner.
  await esbuild({
    ...common,
    entryPoints: [join(root, 'main/app/preload.ts')],
    outfile: join(root, 'out', 'node', 'preload.cjs'),
    platform: 'browser',
    external: ['electron'],
  });
}

async function buildRenderer() {
  const { build } = await import('vite');
  await build({ configFile: join(root, 'vite.config.mts'), logLevel: 'warn' });
}

const started = performance.now();
if (args.has('--if-stale') && !isStale()) process.exit(0);
generateSchemas();
await buildNode();
if (!args.has('--node-only')) await buildRenderer();
console.error(`kubelab: built in ${Math.round(performance.now() - started)} ms`);
