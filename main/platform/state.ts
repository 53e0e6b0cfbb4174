/**
 * Kubelab's state folder: where the browser-mode token, running clusters and lab sessions are
 * recorded so that a second `kubelab` process finds them. `KUBELAB_HOME` overrides the location
 * (tests use it); otherwise the platform's convention for per-user application state.
 */
import { mkdir, readFile, rename, writeFile, open } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export function stateDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (env.KUBELAB_HOME) return env.KUBELAB_HOME;
  if (platform === 'win32')
    return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'Kubelab');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Kubelab');
  return join(env.XDG_STATE_HOME ?? join(home, '.local', 'state'), 'kubelab');
}

/** Reads a JSON file, or returns undefined when it does not exist or does not parse. */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Writes a file so that a crash leaves either the old or the new content, never a torn one:
 * write a sibling temporary file, fsync it, rename it over the target. Mode 0600 by default,
 * since these files hold tokens.
 */
export async function writeFileAtomic(
  file: string,
  content: string,
  mode: number = 0o600,
): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, content, { mode });
  const handle = await open(temporary, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
}
