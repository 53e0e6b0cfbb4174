/**
 * The desktop app loads its renderer from `kubelab://app/`, a privileged custom scheme served from
 * the built renderer folder, rather than `file://`: module scripts and workers work (they are
 * blocked on file:// — research/toolchain.md pitfall 15), the origin is ours alone, and every
 * response carries the same CSP as browser mode.
 */
import type { Protocol } from 'electron';
import { readFile } from 'node:fs/promises';
import { contentSecurityPolicy } from '../bridge/csp';
import { findAsset } from '../bridge/static-files';

export const APP_SCHEME = 'kubelab';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** True for URLs of our own pages. */
export function isAppUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
  } catch {
    return false;
  }
}

/** Must run before the app is ready. */
export function registerAppScheme(protocol: Protocol): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
    },
  ]);
}

/** Answers one request of the app scheme from `rendererDir`. */
export async function serveAppRequest(rendererDir: string, requestUrl: string): Promise<Response> {
  const url = new URL(requestUrl);
  const asset = url.host === APP_HOST ? await findAsset(rendererDir, url.pathname) : undefined;
  if (!asset) return new Response('Not found', { status: 404 });
  return new Response(await readFile(asset.file), {
    headers: {
      'Content-Type': asset.type,
      'Content-Security-Policy': contentSecurityPolicy(),
      'X-Content-Type-Options': 'nosniff',
    },
  });
}

export function handleAppProtocol(protocol: Protocol, rendererDir: string): void {
  protocol.handle(APP_SCHEME, (request) => serveAppRequest(rendererDir, request.url));
}
