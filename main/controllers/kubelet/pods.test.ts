import { afterEach, describe, expect, it } from 'vitest';
import { isPlainObject, type KubeObject } from '../../kube/objects';
import {
  boundPod,
  condition,
  containerStatus,
  phaseOf,
  stateOf,
  testCluster,
  types,
  type TestCluster,
} from './test-cluster';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});

let cluster: TestCluster | undefined;
afterEach(() => {
  cluster?.stop();
  cluster = undefined;
});

async function start(pace: 'Instant' | 'Realistic', nodes = 2): Promise<TestCluster> {
  cluster = await testCluster({ nodes, pace });
  return cluster;
}

function lines(c: TestCluster, pod: string): string[] {
  return c.events(pod).map((e) => `${e.type} ${e.reason} ${e.message}`);
}

/** The pod statuses the kubelet wrote, in order. */
function statusWrites(c: TestCluster, name: string): Obj[] {
  return c.writes
    .filter((w) => w.key.resource === '/pods' && w.key.name === name && w.type === 'MODIFIED')
    .filter((w) => !deepSame(w.prev?.status, w.object.status))
    .map((w) => obj(w.object.status));
}

function deepSame(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const nginxPod = (name = 'web', node = 'lab-worker'): Obj =>
  boundPod(name, node, { containers: [{ name: 'nginx', image: 'nginx' }] });

describe('pod stages under the Instant pace', () => {
  it('writes ContainerCreating first, then Running, as a 1.30 kubelet', async () => {
    const c = await start('Instant');
    c.createPod(nginxPod());
    await c.settle();
    const writes = statusWrites(c, 'web');
    expect(writes.length).toBe(2);
    const first = writes[0]!;
    expect(first.phase).toBe('Pending');
    expect(first.podIP).toBeUndefined();
    expect(first.hostIP).toBe('172.18.0.3');
    expect(first.hostIPs).toEqual([{ ip: '172.18.0.3' }]);
    expect(first.startTime).toBe('2026-01-01T00:00:00Z');
    expect(obj(obj(first.containerStatuses as unknown[])).length).toBeUndefined();
    const creating = (first.containerStatuses as Obj[])[0]!;
    expect(creating).toEqual({
      image: 'nginx',
      imageID: '',
      lastState: {},
      name: 'nginx',
      ready: false,
      restartCount: 0,
      started: false,
      state: { waiting: { reason: 'ContainerCreating' } },
    });
    expect((first.conditions as Obj[]).map((x) => [x.type, x.status, x.reason ?? ''])).toEqual([
      ['PodReadyToStartContainers', 'False', ''],
      ['Initialized', 'True', ''],
      ['Ready', 'False', 'ContainersNotReady'],
      ['ContainersReady', 'False', 'ContainersNotReady'],
      ['PodScheduled', 'True', ''],
    ]);
    expect(condition({ metadata: {}, status: first } as KubeObject, 'Ready')?.message).toBe(
      'containers with unready status: [nginx]',
    );

    const pod = c.pod('web');
    expect(phaseOf(pod)).toBe('Running');
    const status = obj(pod?.status);
    expect(status.podIP).toMatch(/^10\.244\.1\.\d+$/);
    expect(status.podIPs).toEqual([{ ip: status.podIP }]);
    const running = containerStatus(pod, 'nginx');
    expect(running.image).toBe('docker.io/library/nginx:latest');
    expect(running.imageID).toMatch(/^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    expect(running.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    expect(running).toMatchObject({ ready: true, started: true, restartCount: 0, lastState: {} });
    expect(obj(obj(running.state).running).startedAt).toBe('2026-01-01T00:00:00Z');
    for (const type of ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady']) {
      expect(condition(pod, type)?.status, type).toBe('True');
    }
    expect(lines(c, 'web')).toEqual([
      'Normal Pulling Pulling image "nginx"',
      'Normal Pulled Successfully pulled image "nginx" in 0s (0s including waiting). Image size: 72493919 bytes.',
      'Normal Created Created container nginx',
      'Normal Started Started container nginx',
    ]);
    const event = c.registry
      .list(types.events, 'default')
      .items.find((e) => obj(e.involvedObject).kind === 'Pod')!;
    expect(event.source).toEqual({ component: 'kubelet', host: 'lab-worker' });
    expect(obj(event.involvedObject).fieldPath).toBe('spec.containers{nginx}');
  });

  it('gives each pod its own IP from the node range, and host-network pods the node IP', async () => {
    const c = await start('Instant');
    for (let i = 0; i < 5; i++) c.createPod(nginxPod(`p${i}`));
    c.createPod(
      boundPod('host', 'lab-worker', {
        hostNetwork: true,
        containers: [{ name: 'c', image: 'nginx' }],
      }),
    );
    c.createPod(nginxPod('cp', 'lab-control-plane'));
    await c.settle();
    const ips = [0, 1, 2, 3, 4].map((i) => String(obj(c.pod(`p${i}`)?.status).podIP));
    expect(new Set(ips).size).toBe(5);
    for (const ip of ips) expect(ip).toMatch(/^10\.244\.1\.([2-9]|\d\d+)$/);
    expect(obj(c.pod('host')?.status).podIP).toBe('172.18.0.3');
    expect(obj(c.pod('cp')?.status).podIP).toMatch(/^10\.244\.0\./);
  });

  it('lists container statuses by name, as the kubelet sorts them', async () => {
    const c = await start('Instant');
    c.createPod(
      boundPod('two', 'lab-worker', {
        containers: [
          { name: 'web', image: 'nginx' },
          { name: 'cache', image: 'redis' },
        ],
      }),
    );
    await c.settle();
    const names = (obj(c.pod('two')?.status).containerStatuses as Obj[]).map((s) => s.name);
    expect(names).toEqual(['cache', 'web']);
    expect(lines(c, 'two').filter((l) => l.includes('Started'))).toEqual([
      'Normal Started Started container web',
      'Normal Started Started container cache',
    ]);
  });

  it('runs init containers first, to Completed, with the pod initializing meanwhile', async () => {
    const c = await start('Instant');
    c.createPod(
      boundPod('app', 'lab-worker', {
        initContainers: [{ name: 'setup', image: 'busybox', command: ['sh', '-c', 'sleep 3'] }],
        containers: [{ name: 'web', image: 'nginx' }],
      }),
    );
    await c.settle();
    let pod = c.pod('app');
    expect(stateOf(pod, 'setup')).toBe('running');
    expect(stateOf(pod, 'web')).toBe('waiting:PodInitializing');
    expect(condition(pod, 'Initialized')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: 'containers with incomplete status: [setup]',
    });
    await c.advance(3000);
    pod = c.pod('app');
    expect(stateOf(pod, 'setup')).toBe('terminated:Completed');
    expect(containerStatus(pod, 'setup')).toMatchObject({ ready: true, started: false });
    expect(stateOf(pod, 'web')).toBe('running');
    expect(condition(pod, 'Initialized')?.status).toBe('True');
    expect(phaseOf(pod)).toBe('Running');
    expect(lines(c, 'app').map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      'Normal Pulling',
      'Normal Pulled',
      'Normal Created',
      'Normal Started',
      'Normal Pulling',
      'Normal Pulled',
      'Normal Created',
      'Normal Started',
    ]);
  });

  it('reports readiness after readinessProbe.initialDelaySeconds of cluster time', async () => {
    const c = await start('Instant');
    c.createPod(
      boundPod('probed', 'lab-worker', {
        containers: [
          {
            name: 'web',
            image: 'nginx',
            readinessProbe: { initialDelaySeconds: 15, httpGet: { port: 80 } },
          },
        ],
      }),
    );
    await c.settle();
    expect(containerStatus(c.pod('probed'), 'web')).toMatchObject({ ready: false, started: true });
    expect(condition(c.pod('probed'), 'Ready')?.status).toBe('False');
    await c.advance(14_000);
    expect(condition(c.pod('probed'), 'Ready')?.status).toBe('False');
    await c.advance(1_000);
    expect(condition(c.pod('probed'), 'Ready')?.status).toBe('True');
    expect(condition(c.pod('probed'), 'Ready')?.lastTransitionTime).toBe('2026-01-01T00:00:15Z');
  });
});

describe('pod stages under the Realistic pace', () => {
  it('takes about a second to pull and start, then reuses the node image', async () => {
    const c = await start('Realistic');
    c.createPod(
      boundPod('a', 'lab-worker', { containers: [{ name: 'web', image: 'nginx:1.27' }] }),
    );
    await c.settle();
    // Admitted at once; the sandbox and its IP come a moment later, then the pull.
    expect(stateOf(c.pod('a'), 'web')).toBe('waiting:ContainerCreating');
    expect(obj(c.pod('a')?.status).podIP).toBeUndefined();
    expect(lines(c, 'a')).toEqual([]);
    await c.advance(600, 100);
    expect(lines(c, 'a')).toEqual(['Normal Pulling Pulling image "nginx:1.27"']);
    expect(stateOf(c.pod('a'), 'web')).toBe('waiting:ContainerCreating');
    expect(obj(c.pod('a')?.status).podIP).toMatch(/^10\.244\.1\./);
    expect(condition(c.pod('a'), 'PodReadyToStartContainers')?.status).toBe('True');
    await c.advance(3000, 100);
    expect(stateOf(c.pod('a'), 'web')).toBe('running');
    const pulled = lines(c, 'a')[1]!;
    expect(pulled).toMatch(
      /^Normal Pulled Successfully pulled image "nginx:1\.27" in (\d+ms|\d+(\.\d+)?s) \((\d+ms|\d+(\.\d+)?s) including waiting\)\. Image size: \d+ bytes\.$/,
    );
    c.createPod(
      boundPod('b', 'lab-worker', { containers: [{ name: 'web', image: 'nginx:1.27' }] }),
    );
    await c.advance(3000, 100);
    expect(lines(c, 'b')).toEqual([
      'Normal Pulled Container image "nginx:1.27" already present on machine',
      'Normal Created Created container web',
      'Normal Started Started container web',
    ]);
  });
});

describe('image pull failures', () => {
  it('goes ErrImagePull, then ImagePullBackOff, retrying after 10 s, 20 s, 40 s', async () => {
    const c = await start('Instant');
    c.createPod(boundPod('typo', 'lab-worker', { containers: [{ name: 'web', image: 'ngnix' }] }));
    await c.settle();
    const writes = statusWrites(c, 'typo').map((s) =>
      stateOf({ metadata: {}, status: s } as KubeObject, 'web'),
    );
    expect(writes).toEqual([
      'waiting:ContainerCreating',
      'waiting:ErrImagePull',
      'waiting:ImagePullBackOff',
    ]);
    const waiting = obj(obj(containerStatus(c.pod('typo'), 'web').state).waiting);
    expect(waiting).toEqual({
      reason: 'ImagePullBackOff',
      message: 'Back-off pulling image "ngnix"',
    });
    expect(lines(c, 'typo')).toEqual([
      'Normal Pulling Pulling image "ngnix"',
      'Warning Failed Failed to pull image "ngnix": failed to pull and unpack image "docker.io/library/ngnix:latest": failed to resolve reference "docker.io/library/ngnix:latest": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed',
      'Warning Failed Error: ErrImagePull',
      'Normal BackOff Back-off pulling image "ngnix"',
      'Warning Failed Error: ImagePullBackOff',
    ]);
    const pulls = (): number => c.events('typo').find((e) => e.reason === 'Pulling')!.count;
    await c.advance(9_000);
    expect(pulls()).toBe(1);
    await c.advance(1_000);
    expect(pulls()).toBe(2);
    await c.advance(19_000);
    expect(pulls()).toBe(2);
    await c.advance(1_000);
    expect(pulls()).toBe(3);
    await c.advance(40_000);
    expect(pulls()).toBe(4);
  });

  it('caps the image back-off at 5 minutes', async () => {
    const c = await start('Instant');
    c.createPod(
      boundPod('typo', 'lab-worker', { containers: [{ name: 'web', image: 'nginx:1.99999' }] }),
    );
    await c.settle();
    // Attempts at 0, 10, 30, 70, 150, 310, 610, 910 s.
    await c.advance(910_000, 10_000);
    expect(c.events('typo').find((e) => e.reason === 'Pulling')?.count).toBe(8);
    expect(
      c
        .events('typo')
        .some((e) =>
          e.message.startsWith(
            'Failed to pull image "nginx:1.99999": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:1.99999"',
          ),
        ),
    ).toBe(true);
  });

  it('pulls a corrected image at once', async () => {
    const c = await start('Instant');
    c.createPod(boundPod('typo', 'lab-worker', { containers: [{ name: 'web', image: 'ngnix' }] }));
    await c.settle();
    c.registry.modify(types.pods, 'default', 'typo', (pod) => {
      (obj(pod.spec).containers as Obj[])[0]!.image = 'nginx';
      return pod;
    });
    await c.settle();
    expect(stateOf(c.pod('typo'), 'web')).toBe('running');
    expect(containerStatus(c.pod('typo'), 'web').restartCount).toBe(0);
  });

  it('reports an invalid image name and a missing image with pull policy Never', async () => {
    const c = await start('Instant');
    c.createPod(boundPod('bad', 'lab-worker', { containers: [{ name: 'c', image: 'Nginx' }] }));
    c.createPod(
      boundPod('never', 'lab-worker', {
        containers: [{ name: 'c', image: 'myorg/app:1', imagePullPolicy: 'Never' }],
      }),
    );
    await c.settle();
    expect(stateOf(c.pod('bad'), 'c')).toBe('waiting:InvalidImageName');
    expect(lines(c, 'bad')).toEqual([
      'Warning InspectFailed Failed to apply default image tag "Nginx": couldn\'t parse image reference "Nginx": invalid reference format: repository name must be lowercase',
      'Warning Failed Error: InvalidImageName',
    ]);
    expect(stateOf(c.pod('never'), 'c')).toBe('waiting:ErrImageNeverPull');
    expect(lines(c, 'never')[0]).toBe(
      'Warning ErrImageNeverPull Container image "myorg/app:1" is not present with pull policy of Never',
    );
  });
});

describe('containers that exit', () => {
  it('crash-loops under restartPolicy Always: restart at once, then back off 10 s doubling', async () => {
    const c = await start('Instant');
    c.createPod(boundPod('bb', 'lab-worker', { containers: [{ name: 'bb', image: 'busybox' }] }));
    await c.settle();
    const restarts = (): unknown => containerStatus(c.pod('bb'), 'bb').restartCount;
    expect(restarts()).toBe(1);
    const status = containerStatus(c.pod('bb'), 'bb');
    expect(obj(obj(status.state).waiting).reason).toBe('CrashLoopBackOff');
    const uid = c.pod('bb')?.metadata.uid ?? '';
    expect(obj(obj(status.state).waiting).message).toBe(
      `back-off 10s restarting failed container=bb pod=bb_default(${uid})`,
    );
    expect(obj(obj(status.lastState).terminated)).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
    expect(phaseOf(c.pod('bb'))).toBe('Running');
    expect(condition(c.pod('bb'), 'Ready')?.status).toBe('False');
    const seen: Array<[number, unknown]> = [];
    for (let s = 0; s <= 320; s += 10) {
      seen.push([s, restarts()]);
      await c.advance(10_000);
    }
    // Restarts at 0 (at once), 10, 30, 70, 150, 310 s.
    const firsts = [1, 2, 3, 4, 5, 6].map((n) => seen.find(([, r]) => r === n)?.[0]);
    expect(firsts).toEqual([0, 10, 30, 70, 150, 310]);
    expect(lines(c, 'bb')).toContain(
      `Warning BackOff Back-off restarting failed container bb in pod bb_default(${uid})`,
    );
    expect(obj(obj(containerStatus(c.pod('bb'), 'bb').state).waiting).message).toMatch(
      /^back-off 5m0s restarting failed container=bb/,
    );
  });

  it('completes under OnFailure and Never; fails under Never; restarts failures under OnFailure', async () => {
    const c = await start('Instant');
    const job = (name: string, policy: string, script: string): Obj =>
      boundPod(name, 'lab-worker', {
        restartPolicy: policy,
        containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', script] }],
      });
    c.createPod(job('ok-never', 'Never', 'echo done'));
    c.createPod(job('ok-onfailure', 'OnFailure', 'sleep 2'));
    c.createPod(job('fail-never', 'Never', 'exit 1'));
    c.createPod(job('fail-onfailure', 'OnFailure', 'exit 2'));
    await c.settle();
    await c.advance(5_000);
    expect(phaseOf(c.pod('ok-never'))).toBe('Succeeded');
    expect(phaseOf(c.pod('ok-onfailure'))).toBe('Succeeded');
    expect(phaseOf(c.pod('fail-never'))).toBe('Failed');
    expect(phaseOf(c.pod('fail-onfailure'))).toBe('Running');
    expect(containerStatus(c.pod('fail-onfailure'), 'c').restartCount).toBe(1);
    expect(stateOf(c.pod('fail-onfailure'), 'c')).toBe('waiting:CrashLoopBackOff');
    expect(stateOf(c.pod('fail-never'), 'c')).toBe('terminated:Error');
    expect(obj(obj(containerStatus(c.pod('fail-never'), 'c').state).terminated).exitCode).toBe(1);
    const done = c.pod('ok-never');
    expect(condition(done, 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect(condition(done, 'ContainersReady')).toMatchObject({
      status: 'False',
      reason: 'PodCompleted',
    });
    expect(condition(done, 'PodReadyToStartContainers')?.status).toBe('False');
    expect(condition(c.pod('fail-never'), 'Ready')).toMatchObject({ reason: 'PodFailed' });
    expect(containerStatus(done, 'c')).toMatchObject({ ready: false, started: false });
  });

  it('fails a container whose binary is not on PATH, then backs off', async () => {
    const c = await start('Instant');
    c.createPod(
      boundPod('oops', 'lab-worker', {
        containers: [{ name: 'c', image: 'busybox', command: ['sleep 3600'] }],
      }),
    );
    await c.settle();
    const status = containerStatus(c.pod('oops'), 'c');
    expect(stateOf(c.pod('oops'), 'c')).toBe('waiting:CrashLoopBackOff');
    expect(obj(obj(status.lastState).terminated)).toMatchObject({
      exitCode: 128,
      reason: 'StartError',
      startedAt: '1970-01-01T00:00:00Z',
    });
    expect(lines(c, 'oops')).toContain(
      'Warning Failed Error: failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "sleep 3600": executable file not found in $PATH: unknown',
    );
  });

  it('waits for a missing ConfigMap: CreateContainerConfigError, FailedMount', async () => {
    const c = await start('Instant');
    c.createPod(
      boundPod('env', 'lab-worker', {
        containers: [
          {
            name: 'app',
            image: 'nginx',
            env: [
              { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } },
            ],
          },
        ],
      }),
    );
    c.createPod(
      boundPod('vol', 'lab-worker', {
        volumes: [{ name: 'cfg', configMap: { name: 'settings' } }],
        containers: [
          { name: 'app', image: 'nginx', volumeMounts: [{ name: 'cfg', mountPath: '/etc/app' }] },
        ],
      }),
    );
    await c.settle();
    expect(stateOf(c.pod('env'), 'app')).toBe('waiting:CreateContainerConfigError');
    expect(obj(obj(containerStatus(c.pod('env'), 'app').state).waiting).message).toBe(
      'configmap "settings" not found',
    );
    expect(lines(c, 'env')).toContain('Warning Failed Error: configmap "settings" not found');
    expect(stateOf(c.pod('vol'), 'app')).toBe('waiting:ContainerCreating');
    expect(lines(c, 'vol')).toEqual([
      'Warning FailedMount MountVolume.SetUp failed for volume "cfg" : configmap "settings" not found',
    ]);
    c.registry.create(types.configMaps, 'default', {
      metadata: { name: 'settings' },
      data: { mode: 'x' },
    });
    await c.advance(10_000);
    expect(stateOf(c.pod('env'), 'app')).toBe('running');
    expect(stateOf(c.pod('vol'), 'app')).toBe('running');
  });
});

describe('termination', () => {
  it('stops a SIGTERM-handling server promptly and deletes the pod with grace 0', async () => {
    const c = await start('Realistic');
    c.createPod(nginxPod());
    await c.advance(5_000, 100);
    expect(stateOf(c.pod('web'), 'nginx')).toBe('running');
    const t0 = c.clock.now();
    c.registry.delete(types.pods, 'default', 'web', {});
    await c.settle();
    expect(c.pod('web')?.metadata.deletionTimestamp).toBeDefined();
    expect(lines(c, 'web')).toContain('Normal Killing Stopping container nginx');
    await c.advance(1_000, 100);
    expect(c.pod('web')).toBeUndefined();
    expect(c.clock.now() - t0).toBeLessThan(2_000);
    const last = statusWrites(c, 'web').at(-1)!;
    expect(last.phase).toBe('Succeeded');
    expect(stateOf({ metadata: {}, status: last } as KubeObject, 'nginx')).toBe(
      'terminated:Completed',
    );
    expect(c.writes.some((w) => w.key.name === 'web' && w.type === 'DELETED')).toBe(true);
  });

  it('waits the whole grace period for a shell that ignores SIGTERM, then kills it (137)', async () => {
    const c = await start('Instant');
    c.createPod(
      boundPod('sleeper', 'lab-worker', {
        containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }],
      }),
    );
    c.createPod(
      boundPod('quick', 'lab-worker', {
        terminationGracePeriodSeconds: 5,
        containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'sleep 3600'] }],
      }),
    );
    await c.settle();
    c.registry.delete(types.pods, 'default', 'sleeper', {});
    c.registry.delete(types.pods, 'default', 'quick', {});
    await c.settle();
    expect(lines(c, 'sleeper')).toContain('Normal Killing Stopping container c');
    await c.advance(4_000);
    expect(c.pod('quick')).toBeDefined();
    await c.advance(1_000);
    expect(c.pod('quick')).toBeUndefined();
    await c.advance(24_000);
    expect(c.pod('sleeper')).toBeDefined();
    expect(stateOf(c.pod('sleeper'), 'c')).toBe('running');
    await c.advance(1_000);
    expect(c.pod('sleeper')).toBeUndefined();
    const last = statusWrites(c, 'sleeper').at(-1)!;
    expect(last.phase).toBe('Failed');
    expect(obj(obj((last.containerStatuses as Obj[])[0]!.state).terminated)).toMatchObject({
      exitCode: 137,
      reason: 'Error',
    });
  });

  it('removes a pod that never started at once', async () => {
    const c = await start('Instant');
    c.createPod(boundPod('typo', 'lab-worker', { containers: [{ name: 'web', image: 'ngnix' }] }));
    await c.settle();
    c.registry.delete(types.pods, 'default', 'typo', {});
    await c.settle();
    expect(c.pod('typo')).toBeUndefined();
  });
});

describe('sidecars and restarts of the kubelet', () => {
  it('starts a sidecar init container before the main container and keeps it running', async () => {
    const c = await start('Instant');
    c.createPod(
      boundPod('side', 'lab-worker', {
        restartPolicy: 'Never',
        initContainers: [
          {
            name: 'log',
            image: 'busybox',
            restartPolicy: 'Always',
            command: ['tail', '-f', '/dev/null'],
          },
        ],
        containers: [{ name: 'main', image: 'busybox', command: ['sleep', '5'] }],
      }),
    );
    await c.settle();
    expect(stateOf(c.pod('side'), 'log')).toBe('running');
    expect(stateOf(c.pod('side'), 'main')).toBe('running');
    expect(condition(c.pod('side'), 'Initialized')?.status).toBe('True');
    expect(phaseOf(c.pod('side'))).toBe('Running');
    await c.advance(6_000);
    // The main container is done: the sidecar is stopped (tail as PID 1 waits out the grace
    // period) and the pod completes.
    expect(stateOf(c.pod('side'), 'main')).toBe('terminated:Completed');
    expect(lines(c, 'side')).toContain('Normal Killing Stopping container log');
    expect(phaseOf(c.pod('side'))).toBe('Running');
    await c.advance(40_000);
    expect(stateOf(c.pod('side'), 'log')).toBe('terminated:Error');
    expect(phaseOf(c.pod('side'))).toBe('Succeeded');
    expect(condition(c.pod('side'), 'PodReadyToStartContainers')?.status).toBe('False');
  });

  it('rebuilds its view of running pods from the API after a cluster restart', async () => {
    const c = await start('Instant');
    c.createPod(nginxPod());
    c.createPod(boundPod('bb', 'lab-worker', { containers: [{ name: 'bb', image: 'busybox' }] }));
    await c.settle();
    await c.advance(15_000);
    const web = JSON.stringify(c.pod('web')?.status);
    const restarts = containerStatus(c.pod('bb'), 'bb').restartCount;
    const from = c.writes.length;
    await c.restart();
    expect(JSON.stringify(c.pod('web')?.status)).toBe(web);
    expect(
      c.writes.slice(from).filter((w) => w.key.name === 'web' && w.key.resource === '/pods'),
    ).toEqual([]);
    await c.advance(60_000, 10_000);
    expect(Number(containerStatus(c.pod('bb'), 'bb').restartCount)).toBeGreaterThan(
      Number(restarts),
    );
    const ip = obj(c.pod('web')?.status).podIP;
    c.createPod(nginxPod('other'));
    await c.settle();
    expect(obj(c.pod('other')?.status).podIP).not.toBe(ip);
  });
});

describe('static pods', () => {
  it('posts a deleted mirror pod again, its container still running', async () => {
    const c = await start('Instant');
    const hash = '7f2c3c2f0b0d3c7c1a6a3e0e55d8c1b9';
    c.createPod(
      {
        metadata: {
          name: 'etcd-lab-control-plane',
          labels: { component: 'etcd', tier: 'control-plane' },
          annotations: { 'kubernetes.io/config.mirror': hash, 'kubernetes.io/config.hash': hash },
        },
        spec: {
          nodeName: 'lab-control-plane',
          hostNetwork: true,
          containers: [{ name: 'etcd', image: 'registry.k8s.io/etcd:3.5.12-0', command: ['etcd'] }],
        },
      },
      'kube-system',
    );
    await c.settle();
    const before = c.pod('etcd-lab-control-plane', 'kube-system')!;
    expect(phaseOf(before)).toBe('Running');
    expect(obj(before.status).podIP).toBe('172.18.0.2');
    expect(lines(c, 'etcd-lab-control-plane')).toEqual([
      'Normal Pulled Container image "registry.k8s.io/etcd:3.5.12-0" already present on machine',
      'Normal Created Created container etcd',
      'Normal Started Started container etcd',
    ]);
    const id = containerStatus(before, 'etcd').containerID;
    c.registry.delete(types.pods, 'kube-system', 'etcd-lab-control-plane', {});
    await c.settle();
    const after = c.pod('etcd-lab-control-plane', 'kube-system')!;
    expect(after.metadata.uid).not.toBe(before.metadata.uid);
    expect(after.metadata.deletionTimestamp).toBeUndefined();
    expect(phaseOf(after)).toBe('Running');
    expect(containerStatus(after, 'etcd')).toMatchObject({ containerID: id, restartCount: 0 });
    expect(lines(c, 'etcd-lab-control-plane').some((l) => l.includes('Killing'))).toBe(false);
  });
});

describe('a stopped kubelet', () => {
  it('freezes its pods and resumes them when started again', async () => {
    const c = await start('Instant');
    c.createPod(boundPod('bb', 'lab-worker', { containers: [{ name: 'bb', image: 'busybox' }] }));
    await c.settle();
    c.setKubelet('lab-worker', 'Stopped');
    await c.settle();
    c.createPod(nginxPod('late'));
    const before = containerStatus(c.pod('bb'), 'bb').restartCount;
    await c.advance(120_000, 10_000);
    expect(containerStatus(c.pod('bb'), 'bb').restartCount).toBe(before);
    expect(c.pod('late')?.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
    c.registry.delete(types.pods, 'default', 'bb', {});
    await c.advance(60_000, 10_000);
    expect(c.pod('bb')?.metadata.deletionTimestamp).toBeDefined();
    // The node lifecycle controller marks the pods of a silent node not ready.
    c.registry.modify(
      types.pods,
      'default',
      'late',
      (copy) => {
        copy.status = { ...obj(copy.status), conditions: [{ type: 'Ready', status: 'False' }] };
        return copy;
      },
      { subresource: 'status' },
    );
    c.setKubelet('lab-worker', 'Running');
    await c.settle();
    expect(phaseOf(c.pod('late'))).toBe('Running');
    expect(condition(c.pod('late'), 'Ready')?.status).toBe('True');
    await c.advance(1_000);
    expect(c.pod('bb')).toBeUndefined();
  });
});
