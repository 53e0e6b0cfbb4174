/**
 * Kubeconfig files, written the way `kind create cluster --kubeconfig FILE` writes them: one
 * cluster, one user, one context, mode 0600. Merging into an existing file (for
 * `--merge-kubeconfig`) replaces same-named entries and keeps everything else.
 */
import { readFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import { writeFileAtomic } from '../platform/state';

export interface KubeconfigEntry {
  /** The name used for the cluster, user and context (`kubelab-<name>`). */
  readonly context: string;
  readonly server: string;
  readonly caCert: string;
  readonly token: string;
}

interface Named {
  name: string;
  [key: string]: unknown;
}

interface Kubeconfig {
  apiVersion: string;
  kind: string;
  clusters: Named[];
  contexts: Named[];
  users: Named[];
  'current-context': string;
  preferences: Record<string, unknown>;
  [key: string]: unknown;
}

export function kubeconfigFor(entry: KubeconfigEntry): Kubeconfig {
  return {
    apiVersion: 'v1',
    clusters: [
      {
        cluster: {
          'certificate-authority-data': Buffer.from(entry.caCert).toString('base64'),
          server: entry.server,
        },
        name: entry.context,
      },
    ],
    contexts: [{ context: { cluster: entry.context, user: entry.context }, name: entry.context }],
    'current-context': entry.context,
    kind: 'Config',
    preferences: {},
    users: [{ name: entry.context, user: { token: entry.token } }],
  };
}

function replaceNamed(list: unknown, entry: Named): Named[] {
  const items = Array.isArray(list) ? (list as Named[]).filter((i) => i?.name !== entry.name) : [];
  return [...items, entry];
}

/** Writes `entry` to `file`: a fresh file, or merged into the existing one when `merge`. */
export async function writeKubeconfig(
  file: string,
  entry: KubeconfigEntry,
  merge: boolean,
): Promise<void> {
  const fresh = kubeconfigFor(entry);
  let config: Kubeconfig = fresh;
  if (merge) {
    let existing: Partial<Kubeconfig> = {};
    try {
      existing = (parse(await readFile(file, 'utf8')) as Partial<Kubeconfig> | null) ?? {};
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    config = {
      ...fresh,
      ...existing,
      apiVersion: 'v1',
      kind: 'Config',
      clusters: replaceNamed(existing.clusters, fresh.clusters[0]!),
      contexts: replaceNamed(existing.contexts, fresh.contexts[0]!),
      users: replaceNamed(existing.users, fresh.users[0]!),
      'current-context': entry.context,
      preferences: existing.preferences ?? {},
    };
  }
  await writeFileAtomic(file, stringify(config), 0o600);
}

/** Removes a context (and its cluster and user) from a kubeconfig file, if present. */
export async function removeFromKubeconfig(file: string, context: string): Promise<boolean> {
  let existing: Partial<Kubeconfig>;
  try {
    existing = (parse(await readFile(file, 'utf8')) as Partial<Kubeconfig> | null) ?? {};
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  const without = (list: unknown): Named[] =>
    Array.isArray(list) ? (list as Named[]).filter((i) => i?.name !== context) : [];
  const next = {
    ...existing,
    clusters: without(existing.clusters),
    contexts: without(existing.contexts),
    users: without(existing.users),
    'current-context':
      existing['current-context'] === context ? '' : (existing['current-context'] ?? ''),
  };
  await writeFileAtomic(file, stringify(next), 0o600);
  return true;
}
