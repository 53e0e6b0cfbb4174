import { afterEach, describe, expect, it } from 'vitest';
import { StatusError } from '../../kube/status';
import type { LogOptions } from '../../apiserver/http/resources';
import { boundPod, testCluster, types, type TestCluster } from './test-cluster';

let cluster: TestCluster | undefined;
afterEach(() => {
  cluster?.stop();
  cluster = undefined;
});

const NONE: LogOptions = { previous: false, timestamps: false };

function logs(
  c: TestCluster,
  pod: string,
  container: string,
  options: Partial<LogOptions> = {},
): string {
  return c.kubelet.runtime.logs(c.pod(pod)!, container, { ...NONE, ...options });
}

function logError(
  c: TestCluster,
  pod: string,
  container: string,
  options: Partial<LogOptions> = {},
): string {
  try {
    logs(c, pod, container, options);
  } catch (error) {
    if (error instanceof StatusError) return `${error.code} ${error.message}`;
    throw error;
  }
  return 'no error';
}

describe('container logs', () => {
  it('shows what well-known images print when they start', async () => {
    const c = (cluster = await testCluster({ nodes: 2 }));
    c.createPod(
      boundPod('web', 'lab-worker', { containers: [{ name: 'nginx', image: 'nginx:1.27.3' }] }),
    );
    c.createPod(
      boundPod('cache', 'lab-worker', { containers: [{ name: 'redis', image: 'redis:7.2' }] }),
    );
    await c.settle();
    const nginx = logs(c, 'web', 'nginx').split('\n');
    expect(nginx[0]).toBe(
      '/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration',
    );
    expect(nginx).toContain('2026/01/01 00:00:00 [notice] 1#1: nginx/1.27.3');
    expect(nginx.at(-1)).toBe('');
    expect(logs(c, 'cache', 'redis')).toContain('* Ready to accept connections tcp');
    expect(logs(c, 'web', 'nginx', { tailLines: 2 })).toBe(
      '2026/01/01 00:00:00 [notice] 1#1: start worker process 35\n2026/01/01 00:00:00 [notice] 1#1: start worker process 36\n',
    );
    const stamped = logs(c, 'web', 'nginx', { timestamps: true, tailLines: 3 }).trim().split('\n');
    for (const line of stamped)
      expect(line).toMatch(/^2026-01-01T00:00:00\.\d{1,9}Z 2026\/01\/01 /);
    const stamps = stamped.map((line) => line.split(' ')[0]!);
    expect([...stamps].sort()).toEqual(stamps);
  });

  it('prints the output of echo commands and loops, growing with cluster time', async () => {
    const c = (cluster = await testCluster({ nodes: 2 }));
    c.createPod(
      boundPod('ticker', 'lab-worker', {
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sh', '-c', 'echo start; while true; do echo tick; sleep 10; done'],
          },
        ],
      }),
    );
    await c.settle();
    expect(logs(c, 'ticker', 'c')).toBe('start\ntick\n');
    await c.advance(25_000);
    expect(logs(c, 'ticker', 'c')).toBe('start\ntick\ntick\ntick\n');
    expect(logs(c, 'ticker', 'c', { sinceSeconds: 12 })).toBe('tick\n');
    expect(logs(c, 'ticker', 'c', { timestamps: true, tailLines: 1 })).toMatch(
      /^2026-01-01T00:00:20(\.\d+)?Z tick\n$/,
    );
  });

  it('serves the previous container after a restart, and the upstream errors otherwise', async () => {
    const c = (cluster = await testCluster({ nodes: 2 }));
    c.createPod(
      boundPod('crash', 'lab-worker', {
        containers: [
          { name: 'app', image: 'busybox', command: ['sh', '-c', 'echo connecting to db; exit 1'] },
        ],
      }),
    );
    c.createPod(boundPod('web', 'lab-worker', { containers: [{ name: 'nginx', image: 'nginx' }] }));
    await c.settle();
    expect(logs(c, 'crash', 'app', { previous: true })).toBe('connecting to db\n');
    expect(logs(c, 'crash', 'app')).toBe('connecting to db\n');
    expect(logError(c, 'web', 'nginx', { previous: true })).toBe(
      '400 previous terminated container "nginx" in pod "web" not found',
    );
    expect(logError(c, 'web', 'sidecar')).toBe(
      '400 container "sidecar" in pod "web" is not available',
    );
  });

  it('refuses logs of containers that have not started, as the kubelet words it', async () => {
    const c = (cluster = await testCluster({ nodes: 2, pace: 'Realistic' }));
    c.createPod(
      boundPod('slow', 'lab-worker', { containers: [{ name: 'nginx', image: 'nginx' }] }),
    );
    c.createPod(boundPod('typo', 'lab-worker', { containers: [{ name: 'web', image: 'ngnix' }] }));
    await c.settle();
    expect(logError(c, 'slow', 'nginx')).toBe(
      '400 container "nginx" in pod "slow" is waiting to start: ContainerCreating',
    );
    await c.advance(3_000, 100);
    expect(logError(c, 'typo', 'web')).toBe(
      '400 container "web" in pod "typo" is waiting to start: trying and failing to pull image',
    );
  });

  it('cannot reach a stopped kubelet', async () => {
    const c = (cluster = await testCluster({ nodes: 2 }));
    c.createPod(boundPod('web', 'lab-worker', { containers: [{ name: 'nginx', image: 'nginx' }] }));
    await c.settle();
    c.setKubelet('lab-worker', 'Stopped');
    await c.settle();
    expect(logError(c, 'web', 'nginx')).toBe(
      '500 Get "https://172.18.0.3:10250/containerLogs/default/web/nginx": dial tcp 172.18.0.3:10250: connect: connection refused',
    );
  });

  it('streams what a container writes to a shared volume through a tailing sidecar', async () => {
    const c = (cluster = await testCluster({ nodes: 2 }));
    c.createPod(
      boundPod('logged', 'lab-worker', {
        volumes: [{ name: 'logs', emptyDir: {} }],
        containers: [
          {
            name: 'app',
            image: 'busybox',
            command: [
              'sh',
              '-c',
              'i=0; while true; do echo "line $i" >> /var/log/app.log; i=$((i+1)); sleep 5; done',
            ],
            volumeMounts: [{ name: 'logs', mountPath: '/var/log' }],
          },
          {
            name: 'sidecar',
            image: 'busybox',
            command: ['sh', '-c', 'tail -n+1 -F /shared/app.log'],
            volumeMounts: [{ name: 'logs', mountPath: '/shared' }],
          },
        ],
      }),
    );
    await c.settle();
    await c.advance(12_000);
    expect(logs(c, 'logged', 'app')).toBe('');
    expect(logs(c, 'logged', 'sidecar')).toBe('line 0\nline 1\nline 2\n');
  });

  it('uses values from ConfigMaps and the downward API', async () => {
    const c = (cluster = await testCluster({ nodes: 2 }));
    c.registry.create(types.configMaps, 'default', {
      metadata: { name: 'app' },
      data: { COLOR: 'blue' },
    });
    c.createPod(
      boundPod('env', 'lab-worker', {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sh', '-c', 'echo "$COLOR on $NODE"; printenv POD'],
            envFrom: [{ configMapRef: { name: 'app' } }],
            env: [
              { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
              { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            ],
          },
        ],
      }),
    );
    await c.settle();
    expect(logs(c, 'env', 'c')).toBe('blue on lab-worker\nenv\n');
  });
});
