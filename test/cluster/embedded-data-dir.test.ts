// The embedded cluster with a data folder, in-process over the crash-modelling file system: what
// a restart keeps (identity, objects, port), what it must not do (duplicate or reset bootstrap
// objects), and what a crash keeps. The same over the real CLI is in persistence.test.ts.
import { X509Certificate } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../main/base/clock';
import { seededRandom } from '../../main/base/random';
import { CrashFs } from '../../main/apiserver/store/crash-fs';
import { startEmbeddedCluster, type EmbeddedCluster } from '../../main/cluster/embedded';
import { findResource } from '../../main/kube/resources';
import type { KubeObject } from '../../main/kube/objects';

const configMaps = findResource('', 'v1', 'configmaps')!;
const DAY = 86_400_000;
const started: EmbeddedCluster[] = [];

afterEach(async () => {
  for (const cluster of started.splice(0)) await cluster.stop().catch(() => undefined);
});

async function start(
  fs: CrashFs,
  options: { now?: number; name?: string; workers?: number } = {},
): Promise<EmbeddedCluster> {
  const cluster = await startEmbeddedCluster({
    name: options.name ?? 'lab',
    workers: options.workers ?? 1,
    port: 0,
    clock: new FakeClock(options.now ?? Date.UTC(2026, 0, 1)),
    random: seededRandom(1),
    dataDir: '/data',
    fs,
  });
  started.push(cluster);
  return cluster;
}

async function stop(cluster: EmbeddedCluster): Promise<void> {
  started.splice(started.indexOf(cluster), 1);
  await cluster.stop();
}

function objects(cluster: EmbeddedCluster): KubeObject[] {
  return [...cluster.registry.store.entries()]
    .map((entry) => entry.object)
    .sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));
}

describe('embedded cluster with a data folder', () => {
  it('keeps its identity, objects and port across a restart, and bootstraps nothing twice', async () => {
    const fs = new CrashFs();
    const first = await start(fs);
    first.registry.create(configMaps, 'default', { metadata: { name: 'mine' }, data: { a: 'b' } });
    const revision = first.registry.store.revision;
    const before = objects(first);
    await stop(first);

    const second = await start(fs);
    expect(second.certificates).toEqual(first.certificates);
    expect(second.token).toBe(first.token);
    expect(second.server).toBe(first.server);
    expect(objects(second)).toEqual(before);
    // Neither bootstrap nor the namespace controller wrote anything on the way up.
    expect(second.registry.store.revision).toBe(revision);
    for (const file of ['/data/pki/ca.key', '/data/pki/apiserver.key', '/data/token']) {
      expect(fs.modeOf(file)).toBe(0o600);
    }
  });

  it('adds only the missing nodes when restarted with more workers', async () => {
    const fs = new CrashFs();
    const first = await start(fs, { workers: 1 });
    const worker = first.registry.store.get({
      resource: '/nodes',
      namespace: '',
      name: 'lab-worker',
    });
    await stop(first);
    const second = await start(fs, { workers: 2 });
    const nodes = second.registry.store.list('/nodes').items.map((n) => n.metadata.name);
    expect(nodes).toEqual(['lab-control-plane', 'lab-worker', 'lab-worker2']);
    expect(
      second.registry.store.get({ resource: '/nodes', namespace: '', name: 'lab-worker' }),
    ).toEqual(worker);
  });

  it('after a crash has every write that was flushed', async () => {
    const fs = new CrashFs();
    const first = await start(fs);
    const kept = first.registry.create(configMaps, 'default', { metadata: { name: 'kept' } });
    await first.registry.store.flushed();
    first.registry.create(configMaps, 'default', { metadata: { name: 'unflushed' } });
    fs.crash();
    await stop(first).catch(() => undefined);

    const second = await start(fs);
    expect(second.registry.get(configMaps, 'default', 'kept')).toEqual(kept);
    expect(second.certificates.caCert).toBe(first.certificates.caCert);
    expect(second.token).toBe(first.token);
  });

  it('renews a serving certificate near expiry with the same CA', async () => {
    const fs = new CrashFs();
    const now = Date.UTC(2026, 0, 1);
    const first = await start(fs, { now });
    await stop(first);
    const second = await start(fs, { now: now + 340 * DAY });
    expect(second.certificates.caCert).toBe(first.certificates.caCert);
    expect(second.certificates.cert).not.toBe(first.certificates.cert);
    const cert = new X509Certificate(second.certificates.cert);
    expect(cert.checkIssued(new X509Certificate(first.certificates.caCert))).toBe(true);
    await stop(second);
    // And keeps the renewed one on the next start.
    const third = await start(fs, { now: now + 341 * DAY });
    expect(third.certificates.cert).toBe(second.certificates.cert);
  });

  it('makes a new identity when a crash left only part of one (it was never handed out)', async () => {
    const fs = new CrashFs();
    fs.inject = (operation, path) =>
      operation === 'writeFile' && path.endsWith('ca.crt.tmp') ? new Error('EIO') : undefined;
    await expect(start(fs)).rejects.toThrow('EIO');
    fs.inject = undefined;
    fs.crash();
    const cluster = await start(fs);
    expect(new X509Certificate(cluster.certificates.caCert).subject).toBe('CN=kubernetes');
    expect(fs.peek('/data/pki/ca.crt')).toBeDefined();
  });

  it('refuses a data folder that holds another cluster', async () => {
    const fs = new CrashFs();
    await stop(await start(fs, { name: 'lab' }));
    await expect(start(fs, { name: 'other' })).rejects.toThrow(
      'the data folder /data holds the cluster "lab", not "other": start it with --name lab, or choose another --data-dir',
    );
  });
});
