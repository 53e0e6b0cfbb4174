/**
 * `kubelab cluster start|stop|list`: run an embedded cluster in the foreground, stop one Kubelab
 * started, list those running. Running clusters are recorded in the state folder
 * (`clusters/<name>.json`) so other `kubelab` processes find them.
 */
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { realClock } from '../base/clock';
import { mathRandom, seededRandom } from '../base/random';
import { writeKubeconfig } from '../cluster/kubeconfig';
import { startEmbeddedCluster, type EmbeddedCluster } from '../cluster/embedded';
import { FAILPOINTS, type Failpoint } from '../apiserver/store/persistent';
import { isDns1123Label } from '../kube/validation/names';
import { readJsonFile, stateDir, writeFileAtomic } from '../platform/state';
import { UsageError, type CliIo } from './io';

export const ClusterRecord = z.object({
  name: z.string(),
  server: z.string(),
  kubeconfig: z.string(),
  context: z.string(),
  pid: z.number().int(),
  startedAt: z.string(),
});
export type ClusterRecord = z.infer<typeof ClusterRecord>;

function clustersDir(env: NodeJS.ProcessEnv): string {
  return join(stateDir(env), 'clusters');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The clusters recorded in the state folder whose process still runs (stale records are removed). */
export async function runningClusters(env: NodeJS.ProcessEnv): Promise<ClusterRecord[]> {
  const dir = clustersDir(env);
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const records: ClusterRecord[] = [];
  for (const file of files.sort()) {
    const parsed = ClusterRecord.safeParse(await readJsonFile(join(dir, file)));
    if (!parsed.success) continue;
    if (isAlive(parsed.data.pid)) records.push(parsed.data);
    else await rm(join(dir, file), { force: true });
  }
  return records;
}

export interface StartOptions {
  readonly name: string;
  readonly workers: number;
  readonly kubeconfig?: string | undefined;
  readonly mergeKubeconfig?: boolean | undefined;
  readonly port: number;
  readonly seed?: number | undefined;
  readonly dataDir?: string | undefined;
  readonly pace?: 'instant' | 'realistic' | undefined;
}

export function parseCount(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 5000) {
    throw new UsageError(`invalid number "${value}": expected a whole number from 0 to 5000`);
  }
  return Number(value);
}

export function parseSeed(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 0xffffffff) {
    throw new UsageError(`invalid seed "${value}": expected a whole number from 0 to 4294967295`);
  }
  return Number(value);
}

/**
 * Test-only: `KUBELAB_FAILPOINT=<failpoint>:<n>[:ready]` kills this process with SIGKILL at the
 * n-th hit of a store failpoint (see apiserver/store/persistent.ts) — counted from the start, or
 * with `:ready` from when the cluster serves — so the persistence tests can prove a real crash at
 * that point loses no acknowledged write. Not for users: it exists to crash.
 */
function failpointFromEnv(
  env: NodeJS.ProcessEnv,
): { hit: (name: Failpoint) => void; arm: () => void } | undefined {
  const spec = env.KUBELAB_FAILPOINT;
  if (!spec) return undefined;
  const match = /^(.+?):(\d+)(:ready)?$/.exec(spec);
  const name = FAILPOINTS.find((point) => point === match?.[1]);
  const count = Number(match?.[2]);
  if (!name || !(count >= 1)) {
    throw new UsageError(
      `invalid KUBELAB_FAILPOINT "${spec}": expected <failpoint>:<n>[:ready] with a failpoint from ${FAILPOINTS.join(', ')} and n >= 1`,
    );
  }
  let armed = match?.[3] === undefined;
  let hits = 0;
  return {
    hit: (point) => {
      if (armed && point === name && ++hits === count) process.kill(process.pid, 'SIGKILL');
    },
    arm: () => {
      armed = true;
    },
  };
}

/**
 * Claims a data folder for this process: `<dir>/lock` holds the pid of the cluster using it, so a
 * second cluster on the same folder is refused instead of corrupting it. A lock left by a process
 * that no longer runs is taken over. Returns the release function.
 */
async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const lock = join(dir, 'lock');
  const release = async (): Promise<void> => {
    const holder = (await readFile(lock, 'utf8').catch(() => '')).trim();
    if (holder === String(process.pid)) await rm(lock, { force: true });
  };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lock, 'wx', 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
      throw new UsageError(
        `the data folder ${dir} is in use by another running cluster (pid ${holder}); stop that one first (if no such cluster runs, remove ${lock})`,
      );
    }
    await rm(lock, { force: true });
  }
  throw new UsageError(`another process is starting a cluster on the data folder ${dir}`);
}

/**
 * Starts a cluster and keeps it running until `stop` is called. Prints exactly one line on
 * stdout when it serves: `ready: kubeconfig=<path> server=<url> context=<ctx>`.
 */
export async function startCluster(options: StartOptions, io: CliIo): Promise<() => Promise<void>> {
  const nameErrors = isDns1123Label(options.name);
  if (nameErrors.length)
    throw new UsageError(`invalid cluster name "${options.name}": ${nameErrors[0]}`);
  const failpoint = failpointFromEnv(io.env);
  const existing = (await runningClusters(io.env)).find((c) => c.name === options.name);
  if (existing) {
    throw new UsageError(
      `a cluster named "${options.name}" is already running (pid ${existing.pid}, ${existing.server}); stop it with "kubelab cluster stop ${options.name}" or choose another --name`,
    );
  }
  const started = performance.now();
  const log = (line: string): void => io.err(`kubelab: ${line}\n`);
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  const unlock = dataDir ? await lockDataDir(dataDir) : async () => undefined;
  let cluster: EmbeddedCluster;
  try {
    cluster = await startEmbeddedCluster({
      name: options.name,
      workers: options.workers,
      port: options.port,
      clock: realClock,
      random: options.seed === undefined ? mathRandom : seededRandom(options.seed),
      log,
      pace: options.pace === 'instant' ? 'Instant' : 'Realistic',
      ...(dataDir ? { dataDir } : {}),
      ...(failpoint ? { failpoint: failpoint.hit } : {}),
    });
  } catch (error) {
    await unlock();
    throw error;
  }
  const context = `kubelab-${options.name}`;
  const kubeconfig = resolve(
    options.kubeconfig ??
      (options.mergeKubeconfig
        ? join(homedir(), '.kube', 'config')
        : join(stateDir(io.env), 'kubeconfig', `${options.name}.yaml`)),
  );
  await writeKubeconfig(
    kubeconfig,
    { context, server: cluster.server, caCert: cluster.certificates.caCert, token: cluster.token },
    Boolean(options.mergeKubeconfig),
  );
  const record: ClusterRecord = {
    name: options.name,
    server: cluster.server,
    kubeconfig,
    context,
    pid: process.pid,
    startedAt: new Date().toISOString(),
  };
  const recordFile = join(clustersDir(io.env), `${options.name}.json`);
  await mkdir(clustersDir(io.env), { recursive: true, mode: 0o700 });
  await writeFileAtomic(recordFile, `${JSON.stringify(record, null, 2)}\n`);
  log(
    `cluster "${options.name}" (${options.workers} worker${options.workers === 1 ? '' : 's'}) serving at ${cluster.server} after ${Math.round(performance.now() - started)} ms`,
  );
  io.out(`ready: kubeconfig=${kubeconfig} server=${cluster.server} context=${context}\n`);
  failpoint?.arm();
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      try {
        // With a data folder this also flushes and closes the store.
        await cluster.stop();
      } finally {
        await rm(recordFile, { force: true });
        await unlock();
      }
      log(`cluster "${options.name}" stopped`);
    })());
  if (io.env.KUBELAB_EXIT_WITH_PARENT === '1') {
    // Run by the app (EmbeddedBackend): stdin is a pipe from the parent, closed when it dies,
    // even by SIGKILL — then this cluster stops too instead of running on, orphaned.
    process.stdin.on('end', () => void stop().finally(() => process.exit(0)));
    process.stdin.resume();
  }
  return stop;
}

export async function stopCluster(name: string, io: CliIo, timeoutMs = 10_000): Promise<void> {
  const record = (await runningClusters(io.env)).find((c) => c.name === name);
  if (!record) {
    throw new UsageError(
      `no running cluster named "${name}" was started by Kubelab (see "kubelab cluster list")`,
    );
  }
  process.kill(record.pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(record.pid)) {
    if (Date.now() > deadline)
      throw new UsageError(
        `cluster "${name}" (pid ${record.pid}) did not stop within ${timeoutMs / 1000} s`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
  io.out(`stopped cluster "${name}"\n`);
}

export async function listClusters(io: CliIo, json: boolean): Promise<void> {
  const clusters = await runningClusters(io.env);
  if (json) {
    io.out(`${JSON.stringify(clusters, null, 2)}\n`);
    return;
  }
  if (clusters.length === 0) {
    io.err('No clusters are running. Start one with "kubelab cluster start".\n');
    return;
  }
  const rows = [
    ['NAME', 'SERVER', 'KUBECONFIG', 'PID'],
    ...clusters.map((c) => [c.name, c.server, c.kubeconfig, String(c.pid)]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows)
    io.out(
      `${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]! + 3))).join('')}\n`,
    );
}
