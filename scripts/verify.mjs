#!/usr/bin/env node
// The one test command (`npm test` = `npm run verify`): prerequisites, build, typecheck (Node and
// DOM), lint with no warnings, format check, and every test (unit, renderer, integration,
// Playwright). It runs every step even after a failure and ends with one line: `N passed, N failed`.
// Each check counts as one; every test counts as one.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
let passed = 0;
let failed = 0;
const failures = [];

function findOnPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function prerequisites() {
  const problems = [];
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    problems.push(`Node.js ${process.versions.node} is too old: Kubelab needs 20.19 or newer.`);
  }
  if (!existsSync(join(root, 'node_modules'))) {
    problems.push('Dependencies are not installed: run "npm ci" first.');
  }
  const chromium =
    [process.env.KUBELAB_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
      (p) => p && existsSync(p),
    ) ?? findOnPath('chromium');
  if (!chromium) {
    problems.push(
      'Chromium is missing (the browser tests drive it). Install it: "sudo apt-get install chromium" ' +
        'on Debian/Ubuntu, or point KUBELAB_CHROMIUM at a Chromium or Chrome executable.',
    );
  }
  if (!findOnPath('kubectl')) {
    problems.push(
      'kubectl is missing (the cluster tests drive it). Install it from ' +
        'https://kubernetes.io/docs/tasks/tools/ and make sure it is on your PATH.',
    );
  }
  return problems;
}

function step(name, command, args) {
  const started = Date.now();
  process.stdout.write(`\n▶ ${name}\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: process.env });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status === 0) {
    passed++;
    process.stdout.write(`✔ ${name} (${seconds} s)\n`);
    return true;
  }
  failed++;
  failures.push(name);
  process.stdout.write(`✘ ${name} failed (${seconds} s)\n`);
  return false;
}

const problems = prerequisites();
if (problems.length) {
  for (const problem of problems) process.stderr.write(`error: ${problem}\n`);
  process.stdout.write(`0 passed, ${problems.length} failed\n`);
  process.exit(1);
}

const built = step('build', process.execPath, [join(root, 'scripts', 'build.mjs')]);
step('typecheck: main, tests (Node)', bin('tsc'), ['-p', 'tsconfig.node.json']);
step('typecheck: renderer (DOM)', bin('tsc'), ['-p', 'tsconfig.web.json']);
step('typecheck: renderer tests', bin('tsc'), ['-p', 'tsconfig.web-test.json']);
step('lint (no warnings allowed)', bin('eslint'), ['--max-warnings', '0', '.']);
step('format check', bin('prettier'), ['--check', '.']);
// Benchmarks run small, to prove they still run; their figures are printed, never judged.
step('benchmarks (smoke)', process.execPath, [join(root, 'scripts', 'bench.mjs'), '--smoke']);

if (built) {
  const report = join(root, 'test-results', 'vitest.json');
  mkdirSync(dirname(report), { recursive: true });
  rmSync(report, { force: true });
  process.stdout.write('\n▶ tests (unit, renderer, integration, browser)\n');
  const started = Date.now();
  const run = spawnSync(
    bin('vitest'),
    ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`],
    { cwd: root, stdio: 'inherit', env: process.env },
  );
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (existsSync(report)) {
    const results = JSON.parse(readFileSync(report, 'utf8'));
    passed += results.numPassedTests;
    failed += results.numFailedTests;
    if (results.numFailedTests) failures.push(`${results.numFailedTests} test(s)`);
    // A suite that failed to load has no tests to count: count it as a failure.
    const broken = results.testResults.filter(
      (suite) => suite.status === 'failed' && suite.assertionResults.length === 0,
    );
    failed += broken.length;
    if (broken.length) failures.push(`${broken.length} test file(s) that did not load`);
  } else {
    failed++;
    failures.push('the test runner');
  }
  process.stdout.write(`${run.status === 0 ? '✔' : '✘'} tests (${seconds} s)\n`);
} else {
  failed++;
  failures.push('tests (not run: the build failed)');
}

if (failures.length) process.stdout.write(`\nFailed: ${failures.join(', ')}\n`);
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
