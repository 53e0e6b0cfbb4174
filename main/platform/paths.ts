/**
 * Where Kubelab's own files are: the package root (source checkout, installed package or the
 * packaged app's `app.asar`) and the built renderer inside it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Walks up from `from` to the folder whose package.json names `kubelab`. */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown };
      if (name === 'kubelab') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find Kubelab's package.json above ${from}`);
    dir = parent;
  }
}

/** The built renderer (`npm run build` writes it). */
export function rendererDir(root: string = packageRoot()): string {
  return join(root, 'out', 'renderer');
}
