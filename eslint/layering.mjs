// The rules of the house, DESIGN.md §3 rule 2, as data: which code may import which. This file is
// the one place the table is written down for the tools; `eslint.config.mjs` turns it into
// `import-x/no-restricted-paths` zones and `no-restricted-imports` lists, and
// test/lint/layering.test.ts proves each rule fires.
import { builtinModules } from 'node:module';

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
export const RENDERER_MAY_IMPORT = ['./bridge/contract.ts', './kube'];

/** Options of `import-x/no-restricted-paths` for a tree rooted at `basePath`. */
export function restrictedPathsOptions(basePath) {
  return { basePath, zones: restrictedPathZones() };
}

export function restrictedPathZones() {
  const zones = [];
  for (const layer of LAYERS) {
    const allowed = new Set([layer.area, ...layer.mayImport]);
    const forbidden = areas.filter((area) => !allowed.has(area));
    for (const area of forbidden) {
      zones.push({
        target: `./main/${layer.area}`,
        from: `./main/${area}`,
        message: `${layer.why} (DESIGN.md §3 rule 2).`,
      });
    }
    zones.push({
      target: `./main/${layer.area}`,
      from: './renderer',
      message:
        'main/ never imports the renderer: the app loads the built renderer (DESIGN.md §3 rule 2).',
    });
  }
  zones.push({
    target: './renderer',
    from: './main',
    except: RENDERER_MAY_IMPORT,
    message:
      'The renderer may import only main/bridge/contract.ts and main/kube from main/ (DESIGN.md §3 rule 2).',
  });
  return zones;
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
