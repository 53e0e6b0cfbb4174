// The rules of the house, DESIGN.md §3 rule 2, as data: which code may import which. This file is
// the one place the table is written down for the tools; `eslint.config.mjs` turns it into
// the rule `kubelab/no-cross-layer-imports` (below) and `no-restricted-imports` lists, and
// test/lint/layering.test.ts proves each rule fires.
import { builtinModules } from 'node:module';
import { dirname, relative, resolve, sep } from 'node:path';

/** Node built-ins that do I/O or reach the host: pure layers must not import them. */
export const NODE_IO_MODULES = [
  'fs',
  'fs/promises',
  'net',
  'http',
  'https',
  'http2',
  'child_process',
  'dgram',
  'dns',
  'dns/promises',
  'tls',
  'cluster',
  'worker_threads',
  'readline',
  'repl',
  'inspector',
  'os',
  'process',
  'v8',
  'vm',
];

/** Every Node built-in, bare and `node:`-prefixed. */
export const ALL_NODE_MODULES = builtinModules.filter((name) => !name.startsWith('_'));

const areas = [
  'base',
  'kube',
  'platform',
  'apiserver',
  'controllers',
  'grader',
  'labs',
  'cluster',
  'bridge',
  'services',
  'app',
  'cli',
];

/**
 * One entry per area: what it may import from the rest of main/ (`mayImport`), and whether it
 * may import Electron or Node built-ins. Anything in main/ not listed in `mayImport` is refused.
 */
export const LAYERS = [
  {
    area: 'base',
    mayImport: [],
    electron: false,
    node: 'no-io',
    why: 'main/base is the bottom layer: pure utilities, no dependencies',
  },
  {
    area: 'kube',
    mayImport: ['base'],
    electron: false,
    node: 'no-io',
    why: 'main/kube holds pure Kubernetes logic shared with the renderer and the grader',
  },
  {
    area: 'platform',
    mayImport: ['base'],
    electron: false,
    node: 'all',
    why: 'main/platform holds host facts (paths, state folder) and depends only on main/base',
  },
  {
    area: 'apiserver',
    mayImport: ['base', 'kube', 'platform', 'controllers', 'grader', 'labs'],
    electron: false,
    node: 'all',
    why: 'the API server is plain Node: no Electron, app, bridge, cluster or renderer',
  },
  {
    area: 'controllers',
    mayImport: ['base', 'kube', 'platform', 'apiserver', 'grader', 'labs'],
    electron: false,
    node: 'all',
    why: 'controllers are plain Node: no Electron, app, bridge, cluster or renderer',
  },
  {
    area: 'grader',
    mayImport: ['base', 'kube', 'platform', 'apiserver', 'labs'],
    electron: false,
    node: 'all',
    why: 'the grader is pure over a cluster snapshot and never imports controllers',
  },
  {
    area: 'labs',
    mayImport: ['base', 'kube', 'platform', 'apiserver', 'controllers', 'grader'],
    electron: false,
    node: 'all',
    why: 'labs are plain Node: no Electron, app, bridge, cluster or renderer',
  },
  {
    area: 'cluster',
    mayImport: ['base', 'kube', 'platform', 'apiserver', 'controllers', 'grader', 'labs'],
    electron: false,
    node: 'all',
    why: 'cluster backends are plain Node: no Electron, app or renderer',
  },
  {
    area: 'bridge',
    mayImport: [
      'base',
      'kube',
      'platform',
      'apiserver',
      'controllers',
      'grader',
      'labs',
      'cluster',
    ],
    electron: 'ipc.ts',
    node: 'all',
    why: 'the bridge knows Electron only in its IPC transport (main/bridge/ipc.ts)',
  },
  {
    area: 'services',
    mayImport: [
      'base',
      'kube',
      'platform',
      'apiserver',
      'controllers',
      'grader',
      'labs',
      'cluster',
      'bridge',
    ],
    electron: false,
    node: 'all',
    why: 'services are shared by the desktop app and browser mode, so they never import Electron',
  },
  {
    area: 'app',
    mayImport: areas.filter((a) => a !== 'app' && a !== 'cli'),
    electron: true,
    node: 'all',
    why: 'the Electron composition root loads the built renderer, never its source',
  },
  {
    area: 'cli',
    mayImport: areas.filter((a) => a !== 'cli' && a !== 'app'),
    electron: false,
    node: 'all',
    why: 'the CLI runs without Electron',
  },
];

/** What the renderer may import from main/: the bridge contract and the pure modules of kube. */
export const RENDERER_MAY_IMPORT = ['bridge/contract.ts', 'kube'];

/**
 * Where an import may go, as a decision: undefined when allowed, else the message. `from` and
 * `to` are paths relative to the repository root, with forward slashes.
 */
export function layeringViolation(from, to) {
  const fromParts = from.split('/');
  const toParts = to.split('/');
  if (fromParts[0] === 'renderer') {
    if (toParts[0] !== 'main') return undefined;
    const inside = toParts.slice(1).join('/');
    const allowed = RENDERER_MAY_IMPORT.some(
      (path) =>
        inside === path || inside === path.replace(/\.ts$/, '') || inside.startsWith(`${path}/`),
    );
    return allowed
      ? undefined
      : 'The renderer may import only main/bridge/contract.ts and main/kube from main/ (DESIGN.md §3 rule 2).';
  }
  if (fromParts[0] !== 'main') return undefined;
  const layer = LAYERS.find((l) => l.area === fromParts[1]);
  if (!layer) return undefined;
  if (toParts[0] === 'renderer') {
    return 'main/ never imports the renderer: the app loads the built renderer (DESIGN.md §3 rule 2).';
  }
  if (toParts[0] !== 'main' || !areas.includes(toParts[1])) return undefined;
  if (toParts[1] === layer.area || layer.mayImport.includes(toParts[1])) return undefined;
  return `${layer.why} (DESIGN.md §3 rule 2).`;
}

/**
 * The ESLint rule: relative imports (static, dynamic, re-exports and `import()` types) that cross
 * the layering table. `root` is the repository root the areas are relative to.
 */
const noCrossLayerImports = {
  meta: {
    type: 'problem',
    docs: { description: 'Enforce the layering table of DESIGN.md §3 rule 2' },
    schema: [
      { type: 'object', properties: { root: { type: 'string' } }, additionalProperties: false },
    ],
  },
  create(context) {
    const root = context.options[0]?.root ?? context.cwd;
    const file = relative(root, context.filename).split(sep).join('/');
    const check = (node, specifier) => {
      if (typeof specifier !== 'string' || !specifier.startsWith('.')) return;
      const target = relative(root, resolve(dirname(context.filename), specifier))
        .split(sep)
        .join('/');
      const message = layeringViolation(file, target);
      if (message) {
        context.report({
          node,
          message: `Import of "${specifier}" crosses the layering. ${message}`,
        });
      }
    };
    return {
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ImportExpression: (node) =>
        node.source.type === 'Literal' && check(node.source, node.source.value),
      TSImportType: (node) => {
        const literal = node.argument?.literal ?? node.argument;
        if (literal?.type === 'Literal') check(literal, literal.value);
      },
    };
  },
};

/** The local ESLint plugin holding the layering rule. */
export const layeringPlugin = { rules: { 'no-cross-layer-imports': noCrossLayerImports } };

/** The flat-config block that turns the rule on for a tree rooted at `root`. */
export function layeringPathsBlock(root) {
  return {
    name: 'kubelab/layering/paths',
    files: ['main/**/*.{ts,tsx}', 'renderer/**/*.{ts,tsx}'],
    plugins: { kubelab: layeringPlugin },
    rules: { 'kubelab/no-cross-layer-imports': ['error', { root }] },
  };
}

function restrictedImports({ electron, node }) {
  const paths = [];
  const patterns = [];
  if (!electron) {
    paths.push({
      name: 'electron',
      message:
        'Logic never imports Electron: only main/app and main/bridge/ipc.ts may (DESIGN.md §3 rule 1).',
    });
  }
  const banned = node === 'none' ? ALL_NODE_MODULES : node === 'no-io' ? NODE_IO_MODULES : [];
  if (banned.length) {
    const message =
      node === 'none'
        ? 'The renderer runs in a browser: no Node built-ins (DESIGN.md §3 rule 2).'
        : 'main/base and main/kube are pure: no Node built-ins that do I/O (DESIGN.md §3 rule 2).';
    for (const name of banned) {
      paths.push({ name, message }, { name: `node:${name}`, message });
    }
  }
  return { paths, patterns };
}

/** Flat-config blocks for `no-restricted-imports` (Electron and Node built-ins) per area. */
export function restrictedImportBlocks() {
  const blocks = LAYERS.map((layer) => ({
    name: `kubelab/layering/${layer.area}`,
    files: [`main/${layer.area}/**/*.{ts,tsx}`],
    rules: {
      'no-restricted-imports': [
        'error',
        restrictedImports({ electron: layer.electron === true, node: layer.node }),
      ],
    },
  }));
  for (const layer of LAYERS.filter((l) => typeof l.electron === 'string')) {
    blocks.push({
      name: `kubelab/layering/${layer.area}/electron-transport`,
      files: [`main/${layer.area}/${layer.electron}`],
      rules: {
        'no-restricted-imports': ['error', restrictedImports({ electron: true, node: layer.node })],
      },
    });
  }
  blocks.push({
    name: 'kubelab/layering/renderer',
    files: ['renderer/**/*.{ts,tsx}'],
    ignores: ['renderer/**/*.test.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', restrictedImports({ electron: false, node: 'none' })],
      'no-restricted-globals': [
        'error',
        ...['process', 'require', 'Buffer', '__dirname', '__filename', 'global'].map((name) => ({
          name,
          message: 'The renderer runs in a browser: no Node globals (DESIGN.md §3 rule 2).',
        })),
      ],
    },
  });
  return blocks;
}
