/**
 * Serving the built renderer from disk, shared by browser mode (HTTP) and the desktop app (the
 * `kubelab://app/` protocol): path resolution that cannot leave the folder, content types, and the
 * single-page-app fallback to index.html.
 */
import { stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentType(file: string): string {
  return MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** Resolves `pathname` inside `root`, or undefined when it would leave it. */
export function resolveInside(root: string, pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const base = resolve(root);
  const candidate = resolve(base, normalize(`.${sep}${decoded}`));
  return candidate === base || candidate.startsWith(base + sep) ? candidate : undefined;
}

export interface Asset {
  readonly file: string;
  readonly size: number;
  readonly type: string;
  /** Hashed build output that never changes under its name. */
  readonly immutable: boolean;
}

/**
 * Finds the file for a URL path: the file itself, or index.html for extension-less paths
 * (client-side routes). Undefined when there is none.
 */
export async function findAsset(root: string, pathname: string): Promise<Asset | undefined> {
  let file = resolveInside(root, pathname === '/' ? '/index.html' : pathname);
  if (!file) return undefined;
  let info = await stat(file).catch(() => undefined);
  if (!info?.isFile() && extname(pathname) === '') {
    file = join(resolve(root), 'index.html');
    info = await stat(file).catch(() => undefined);
  }
  if (!info?.isFile()) return undefined;
  return {
    file,
    size: info.size,
    type: contentType(file),
    immutable: pathname.startsWith('/assets/'),
  };
}
