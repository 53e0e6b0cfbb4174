/**
 * `kubelab cluster start|stop|list`: run an embedded cluster in the foreground, stop one Kubelab
 * started, list those running. Running clusters are recorded in the state folder
 * (`clusters/<name>.json`) so other `kubelab` processes find them.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { realClock } from '../base/clock';
import { mathRandom, seededRandom } from '../base/random';
import { writeKubeconfig } from '../cluster/kubeconfig';
import { startEmbeddedCluster } from '../cluster/embedded';
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
 * Starts a cluster and keeps it running until `stop` is called. Prints exactly one line on
 * stdout when it serves: `ready: kubeconfig=<path> server=<url> context=<ctx>`.
 */
export async function startCluster(options: StartOptions, io: CliIo): Promise<() => Promise<void>> {
  const nameErrors = isDns1123Label(options.name);
  if (nameErrors.length)
    throw new UsageError(`invalid cluster name "${options.name}": ${nameErrors[0]}`);
  if (options.dataDir) {
    throw new UsageError(
      '--data-dir is not supported yet: this version keeps the cluster in memory only',
    );
  }
  const existing = (await runningClusters(io.env)).find((c) => c.name === options.name);
  if (existing) {
    throw new UsageError(
      `a cluster named "${options.name}" is already running (pid ${existing.pid}, ${existing.server}); stop it with "kubelab cluster stop ${options.name}" or choose another --name`,
    );
  }
  const started = performance.now();
  const log = (line: string): void => io.err(`kubelab: ${line}\n`);
  const cluster = await startEmbeddedCluster({
    name: options.name,
    workers: options.workers,
    port: options.port,
    clock: realClock,
    random: options.seed === undefined ? mathRandom : seededRandom(options.seed),
    log,
  });
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
  return async () => {
    await cluster.stop();
    await rm(recordFile, { force: true });
    log(`cluster "${options.name}" stopped`);
  };
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
