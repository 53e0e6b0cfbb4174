import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/objects';
import { findResource } from '../../kube/resources';
import { errors } from '../../kube/status';
import { obj, PODS } from '../nodelifecycle/node-util';
import { makeCluster, stamp, type Cluster } from '../nodelifecycle/testing';
import { EndpointsController } from './endpoints-controller';

const SERVICES = findResource('', 'v1', 'services')!;
const ENDPOINTS = findResource('', 'v1', 'endpoints')!;

async function started(): Promise<Cluster> {
  const cluster = makeCluster();
  cluster.manager.add((ctx) => new EndpointsController(ctx));
  cluster.manager.start();
  await cluster.manager.settle();
  return cluster;
}

interface PodSpec {
  readonly labels?: Record<string, string>;
  readonly ip?: string;
  readonly node?: string;
  readonly ready?: boolean;
  readonly phase?: string;
  readonly ports?: readonly { name: string; containerPort: number; protocol?: string }[];
  readonly hostname?: string;
  readonly subdomain?: string;
}

/** A pod as its kubelet reports it: bound, Running (by default), with an IP and readiness. */
function addPod(cluster: Cluster, name: string, options: PodSpec = {}): KubeObject {
  const { registry } = cluster;
  registry.create(PODS, 'default', {
    metadata: { name, labels: options.labels ?? { app: 'web' } },
    spec: {
      nodeName: options.node ?? 'node-a',
      ...(options.hostname ? { hostname: options.hostname } : {}),
      ...(options.subdomain ? { subdomain: options.subdomain } : {}),
      containers: [
        {
          name: 'app',
          image: 'nginx:1.27',
          ...(options.ports
            ? { ports: options.ports.map((p) => ({ protocol: 'TCP', ...p })) }
            : {}),
        },
      ],
    },
  } as KubeObject);
  return setStatus(cluster, name, options);
}

function setStatus(cluster: Cluster, name: string, options: PodSpec): KubeObject {
  const { registry } = cluster;
  const now = registry.now();
  const ready = options.ready === false ? 'False' : 'True';
  return registry.modify(
    PODS,
    'default',
    name,
    (copy) => {
      copy.status = {
        ...obj(copy.status),
        phase: options.phase ?? 'Running',
        ...(options.ip ? { podIP: options.ip, podIPs: [{ ip: options.ip }] } : {}),
        conditions: [
          { type: 'Ready', status: ready, lastProbeTime: null, lastTransitionTime: now },
        ],
      };
      return copy;
    },
    { subresource: 'status' },
  );
}

function addService(cluster: Cluster, name: string, spec: Record<string, unknown>, labels = {}) {
  return cluster.registry.create(SERVICES, 'default', {
    metadata: { name, ...(Object.keys(labels).length ? { labels } : {}) },
    spec: { ports: [{ port: 80, targetPort: 8080 }], ...spec },
  } as KubeObject);
}

function endpoints(cluster: Cluster, name: string): KubeObject | undefined {
  return cluster.registry.store.get({ resource: '/endpoints', namespace: 'default', name });
}

function subsets(cluster: Cluster, name: string): unknown {
  return (endpoints(cluster, name) as { subsets?: unknown } | undefined)?.subsets;
}

/** The addresses as `ip` (ready) or `ip!` (not ready) with their ports, per subset. */
function summary(cluster: Cluster, name: string): string[] {
  const out: string[] = [];
  for (const s of (subsets(cluster, name) ?? []) as Array<Record<string, unknown>>) {
    const addrs = [
      ...((s.addresses ?? []) as Array<{ ip: string }>).map((a) => a.ip),
      ...((s.notReadyAddresses ?? []) as Array<{ ip: string }>).map((a) => `${a.ip}!`),
    ];
    const ports = ((s.ports ?? []) as Array<{ name?: string; port: number }>).map(
      (p) => `${p.name ?? ''}:${p.port}`,
    );
    out.push(`${addrs.join(',')} ${ports.join(',')}`);
  }
  return out;
}

/** Counts writes to Endpoints from now on (the watch replays what is stored first). */
function countWrites(cluster: Cluster): { count: number } {
  const counter = { count: 0 };
  let live = false;
  cluster.registry.store.watch({ resource: '/endpoints' }, () => {
    if (live) counter.count++;
  });
  live = true;
  return counter;
}

describe('EndpointsController', () => {
  it('lists the ready and not-ready pods matching the selector, with node and pod reference', async () => {
    const cluster = await started();
    const a = addPod(cluster, 'web-a', { ip: '10.244.1.3' });
    addPod(cluster, 'web-b', { ip: '10.244.2.2', node: 'node-b', ready: false });
    addPod(cluster, 'other', { ip: '10.244.1.9', labels: { app: 'other' } });
    addPod(cluster, 'web-extra', { ip: '10.244.1.4', labels: { app: 'web', tier: 'x' } });
    addService(cluster, 'web', { selector: { app: 'web' } }, { team: 'blue' });
    await cluster.manager.settle();

    const ep = endpoints(cluster, 'web')!;
    expect(ep.metadata.labels).toEqual({ team: 'blue' });
    expect(ep.metadata.annotations).toEqual({
      'endpoints.kubernetes.io/last-change-trigger-time': stamp(0),
    });
    expect(ep.metadata.managedFields?.[0]?.manager).toBe('kube-controller-manager');
    expect(subsets(cluster, 'web')).toEqual([
      {
        addresses: [
          {
            ip: '10.244.1.3',
            nodeName: 'node-a',
            targetRef: { kind: 'Pod', namespace: 'default', name: 'web-a', uid: a.metadata.uid },
          },
          expect.objectContaining({ ip: '10.244.1.4', nodeName: 'node-a' }),
        ],
        notReadyAddresses: [
          expect.objectContaining({
            ip: '10.244.2.2',
            nodeName: 'node-b',
            targetRef: expect.objectContaining({ name: 'web-b' }),
          }),
        ],
        ports: [{ port: 8080, protocol: 'TCP' }],
      },
    ]);
    cluster.manager.stop();
  });

  it('follows pods becoming ready, losing the label, and being deleted', async () => {
    const cluster = await started();
    addService(cluster, 'web', { selector: { app: 'web' } });
    addPod(cluster, 'web-a', { ip: '10.0.0.1', ready: false });
    addPod(cluster, 'web-b', { ip: '10.0.0.2' });
    await cluster.manager.settle();
    expect(summary(cluster, 'web')).toEqual(['10.0.0.2,10.0.0.1! :8080']);

    cluster.clock.advance(5000);
    setStatus(cluster, 'web-a', { ip: '10.0.0.1' });
    await cluster.manager.settle();
    expect(summary(cluster, 'web')).toEqual(['10.0.0.1,10.0.0.2 :8080']);
    // The change came from web-a turning Ready.
    expect(endpoints(cluster, 'web')?.metadata.annotations).toEqual({
      'endpoints.kubernetes.io/last-change-trigger-time': stamp(5),
    });

    cluster.registry.modify(PODS, 'default', 'web-b', (copy) => {
      copy.metadata.labels = { app: 'gone' };
      return copy;
    });
    await cluster.manager.settle();
    expect(summary(cluster, 'web')).toEqual(['10.0.0.1 :8080']);

    cluster.registry.delete(PODS, 'default', 'web-a', { gracePeriodSeconds: 0 });
    await cluster.manager.settle();
    // An Endpoints with no subsets stays (kubectl shows <none>).
    expect(endpoints(cluster, 'web')).toBeDefined();
    expect(subsets(cluster, 'web')).toBeUndefined();
    cluster.manager.stop();
  });

  it('resolves a named targetPort per pod and skips pods without it for that port', async () => {
    const cluster = await started();
    addPod(cluster, 'named', {
      ip: '10.0.0.1',
      ports: [
        { name: 'http', containerPort: 8080 },
        { name: 'metrics', containerPort: 9090 },
      ],
    });
    addPod(cluster, 'other-port', {
      ip: '10.0.0.2',
      ports: [{ name: 'http', containerPort: 8081 }],
    });
    addPod(cluster, 'unnamed', { ip: '10.0.0.3' });
    addPod(cluster, 'udp', {
      ip: '10.0.0.4',
      ports: [{ name: 'http', containerPort: 8082, protocol: 'UDP' }],
    });
    addService(cluster, 'web', {
      selector: { app: 'web' },
      ports: [
        { name: 'web', port: 80, targetPort: 'http' },
        { name: 'metrics', port: 9090, targetPort: 'metrics' },
      ],
    });
    await cluster.manager.settle();
    expect(summary(cluster, 'web')).toEqual([
      // The pods offering the same set of ports share a subset.
      '10.0.0.1 metrics:9090,web:8080',
      '10.0.0.2 web:8081',
    ]);
    cluster.manager.stop();
  });

  it('groups pods serving the same ports into one subset with all the ports', async () => {
    const cluster = await started();
    addPod(cluster, 'web-a', { ip: '10.0.0.2' });
    addPod(cluster, 'web-b', { ip: '10.0.0.1', ready: false });
    addService(cluster, 'web', {
      selector: { app: 'web' },
      ports: [
        { name: 'https', port: 443, targetPort: 8443 },
        { name: 'http', port: 80, targetPort: 8080, appProtocol: 'http' },
      ],
    });
    await cluster.manager.settle();
    expect(subsets(cluster, 'web')).toEqual([
      {
        addresses: [expect.objectContaining({ ip: '10.0.0.2' })],
        notReadyAddresses: [expect.objectContaining({ ip: '10.0.0.1' })],
        ports: [
          { name: 'http', port: 8080, protocol: 'TCP', appProtocol: 'http' },
          { name: 'https', port: 8443, protocol: 'TCP' },
        ],
      },
    ]);
    cluster.manager.stop();
  });

  it('publishes not-ready and terminating pods as ready with publishNotReadyAddresses', async () => {
    const cluster = await started();
    addPod(cluster, 'web-a', { ip: '10.0.0.1', ready: false });
    addPod(cluster, 'web-b', { ip: '10.0.0.2' });
    cluster.registry.modify(PODS, 'default', 'web-b', (copy) => {
      copy.metadata.finalizers = ['example.com/keep'];
      return copy;
    });
    cluster.registry.delete(PODS, 'default', 'web-b', {});
    addService(cluster, 'all', { selector: { app: 'web' }, publishNotReadyAddresses: true });
    addService(cluster, 'ready', { selector: { app: 'web' } });
    await cluster.manager.settle();
    expect(summary(cluster, 'all')).toEqual(['10.0.0.1,10.0.0.2 :8080']);
    // Without it, the terminating pod is left out and the not-ready one is not ready.
    expect(summary(cluster, 'ready')).toEqual(['10.0.0.1! :8080']);
    cluster.manager.stop();
  });

  it('leaves out pods without an IP and terminal pods', async () => {
    const cluster = await started();
    addPod(cluster, 'pending', { phase: 'Pending', ready: false });
    addPod(cluster, 'done', { ip: '10.0.0.5', phase: 'Succeeded', ready: false });
    addPod(cluster, 'failed', { ip: '10.0.0.6', phase: 'Failed', ready: false });
    addPod(cluster, 'running', { ip: '10.0.0.7' });
    addService(cluster, 'web', { selector: { app: 'web' }, publishNotReadyAddresses: true });
    await cluster.manager.settle();
    expect(summary(cluster, 'web')).toEqual(['10.0.0.7 :8080']);

    setStatus(cluster, 'pending', { ip: '10.0.0.8', ready: false });
    await cluster.manager.settle();
    expect(summary(cluster, 'web')).toEqual(['10.0.0.7,10.0.0.8 :8080']);
    cluster.manager.stop();
  });

  it('labels the Endpoints of a headless Service, which may have no ports, and sets hostnames', async () => {
    const cluster = await started();
    addPod(cluster, 'db-0', {
      ip: '10.0.0.1',
      labels: { app: 'db' },
      hostname: 'db-0',
      subdomain: 'db',
    });
    addService(
      cluster,
      'db',
      { clusterIP: 'None', selector: { app: 'db' }, ports: [] },
      {
        app: 'db',
      },
    );
    await cluster.manager.settle();
    expect(endpoints(cluster, 'db')?.metadata.labels).toEqual({
      app: 'db',
      'service.kubernetes.io/headless': '',
    });
    expect(subsets(cluster, 'db')).toEqual([
      {
        addresses: [
          expect.objectContaining({ ip: '10.0.0.1', hostname: 'db-0', nodeName: 'node-a' }),
        ],
      },
    ]);
    cluster.manager.stop();
  });

  it('leaves Services without a selector and ExternalName Services alone', async () => {
    const cluster = await started();
    addPod(cluster, 'web-a', { ip: '10.0.0.1' });
    addService(cluster, 'manual', {});
    addService(cluster, 'external', {
      type: 'ExternalName',
      externalName: 'example.com',
      selector: { app: 'web' },
      ports: [],
    });
    const manual = {
      metadata: { name: 'manual' },
      subsets: [{ addresses: [{ ip: '192.168.0.1' }], ports: [{ port: 80 }] }],
    } as KubeObject;
    cluster.registry.create(ENDPOINTS, 'default', manual);
    await cluster.manager.settle();
    expect(subsets(cluster, 'manual')).toEqual([
      { addresses: [{ ip: '192.168.0.1' }], ports: [{ port: 80, protocol: 'TCP' }] },
    ]);
    expect(endpoints(cluster, 'external')).toBeUndefined();
    cluster.manager.stop();
  });

  it('deletes the Endpoints with the Service, and Endpoints left without a Service at start', async () => {
    const cluster = makeCluster();
    cluster.registry.create(ENDPOINTS, 'default', {
      metadata: { name: 'leftover' },
      subsets: [{ addresses: [{ ip: '192.168.0.1' }], ports: [{ port: 80 }] }],
    } as KubeObject);
    cluster.registry.create(ENDPOINTS, 'default', {
      metadata: {
        name: 'lock',
        annotations: { 'control-plane.alpha.kubernetes.io/leader': '{}' },
      },
    } as KubeObject);
    cluster.manager.add((ctx) => new EndpointsController(ctx));
    cluster.manager.start();
    await cluster.manager.settle();
    expect(endpoints(cluster, 'leftover')).toBeUndefined();
    expect(endpoints(cluster, 'lock')).toBeDefined();

    addPod(cluster, 'web-a', { ip: '10.0.0.1' });
    addService(cluster, 'web', { selector: { app: 'web' } });
    addService(cluster, 'manual', {});
    cluster.registry.create(ENDPOINTS, 'default', { metadata: { name: 'manual' } } as KubeObject);
    await cluster.manager.settle();
    expect(endpoints(cluster, 'web')).toBeDefined();

    cluster.registry.delete(SERVICES, 'default', 'web', {});
    cluster.registry.delete(SERVICES, 'default', 'manual', {});
    await cluster.manager.settle();
    expect(endpoints(cluster, 'web')).toBeUndefined();
    expect(endpoints(cluster, 'manual')).toBeUndefined();
    cluster.manager.stop();
  });

  it('recreates Endpoints deleted under a Service with a selector', async () => {
    const cluster = await started();
    addPod(cluster, 'web-a', { ip: '10.0.0.1' });
    addService(cluster, 'web', { selector: { app: 'web' } });
    await cluster.manager.settle();
    cluster.registry.delete(ENDPOINTS, 'default', 'web', {});
    await cluster.manager.settle();
    expect(summary(cluster, 'web')).toEqual(['10.0.0.1 :8080']);
    cluster.manager.stop();
  });

  it('writes nothing when nothing that matters changed, and repairs what a user changed', async () => {
    const cluster = await started();
    addPod(cluster, 'web-a', { ip: '10.0.0.1' });
    addService(cluster, 'web', { selector: { app: 'web' } }, { team: 'blue' });
    await cluster.manager.settle();
    const before = endpoints(cluster, 'web')!;
    const writes = countWrites(cluster);

    // A pod annotation, a Service annotation, time passing: no write.
    cluster.registry.modify(PODS, 'default', 'web-a', (copy) => {
      copy.metadata.annotations = { note: 'x' };
      return copy;
    });
    cluster.registry.modify(SERVICES, 'default', 'web', (copy) => {
      copy.metadata.annotations = { note: 'y' };
      return copy;
    });
    cluster.clock.advance(60_000);
    await cluster.manager.settle();
    expect(writes.count).toBe(0);
    expect(endpoints(cluster, 'web')?.metadata.resourceVersion).toBe(
      before.metadata.resourceVersion,
    );

    // A user edits the addresses and labels: like upstream (whose Endpoints informer only
    // handles deletions) nothing happens until the Service or one of its pods changes.
    cluster.registry.modify(ENDPOINTS, 'default', 'web', (copy) => {
      (copy as { subsets?: unknown }).subsets = [];
      copy.metadata.labels = { team: 'red' };
      return copy;
    });
    await cluster.manager.settle();
    expect(writes.count).toBe(1);
    cluster.registry.modify(SERVICES, 'default', 'web', (copy) => {
      copy.metadata.annotations = { note: 'z' };
      return copy;
    });
    await cluster.manager.settle();
    expect(writes.count).toBe(2);
    expect(summary(cluster, 'web')).toEqual(['10.0.0.1 :8080']);
    expect(endpoints(cluster, 'web')?.metadata.labels).toEqual({ team: 'blue' });
    // No new trigger: the annotation is cleared.
    expect(endpoints(cluster, 'web')?.metadata.annotations).toBeUndefined();
    cluster.manager.stop();
  });

  it('records FailedToUpdateEndpoint and retries when a write fails', async () => {
    const cluster = await started();
    addPod(cluster, 'web-a', { ip: '10.0.0.1' });
    addService(cluster, 'web', { selector: { app: 'web' } });
    await cluster.manager.settle();
    const registry = cluster.registry;
    const update = registry.update.bind(registry);
    let failures = 2;
    registry.update = (...args: Parameters<typeof update>) => {
      if (args[0].plural === 'endpoints' && failures > 0) {
        failures--;
        throw errors.internal('etcd is sad');
      }
      return update(...args);
    };
    addPod(cluster, 'web-b', { ip: '10.0.0.2' });
    await cluster.manager.settle();
    expect(summary(cluster, 'web')).toEqual(['10.0.0.1 :8080']);
    // Retried after 5 ms, then 10 ms of cluster time.
    for (const ms of [5, 10]) {
      cluster.clock.advance(ms);
      await cluster.manager.settle();
    }
    expect(failures).toBe(0);
    expect(summary(cluster, 'web')).toEqual(['10.0.0.1,10.0.0.2 :8080']);
    const events = registry
      .list(findResource('', 'v1', 'events')!, 'default')
      .items.map((e) => [(e as { reason?: string }).reason, (e as { count?: number }).count]);
    expect(events).toEqual([['FailedToUpdateEndpoint', 2]]);
    cluster.manager.stop();
  });

  it('truncates past 1000 addresses and marks the Endpoints over capacity', async () => {
    const cluster = await started();
    addService(cluster, 'web', { selector: { app: 'web' } });
    for (let i = 0; i < 1002; i++) {
      addPod(cluster, `web-${i}`, { ip: `10.1.${Math.floor(i / 250)}.${i % 250}` });
    }
    await cluster.manager.settle();
    const ep = endpoints(cluster, 'web') as KubeObject & {
      subsets: Array<{ addresses: unknown[] }>;
    };
    expect(ep.subsets[0]?.addresses).toHaveLength(1000);
    expect(ep.metadata.annotations?.['endpoints.kubernetes.io/over-capacity']).toBe('truncated');
    cluster.manager.stop();
  });
});
