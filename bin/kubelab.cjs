#!/usr/bin/env node
'use strict';
// The `kubelab` command: runs the bundle that `npm run build` (and `npm install`) writes.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const entry = join(__dirname, '..', 'out', 'node', 'kubelab.cjs');
if (!existsSync(entry)) {
  process.stderr.write(
    'error: Kubelab is not built: run "npm run build" in ' + join(__dirname, '..') + '\n',
  );
  process.exit(1);
}
process.setSourceMapsEnabled(true);
require(entry);
