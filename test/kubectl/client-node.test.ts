// The embedded cluster through @kubernetes/client-node, the library the grader and the app use:
// typed CRUD, list with paging, watch, and errors as ApiExceptions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as k8s from '@kubernetes/client-node';
import { startTestCluster, type TestCluster } from '../support/cluster';

let lab: TestCluster;
let config: k8s.KubeConfig;

beforeAll(async () => {
  lab = await startTestCluster({ workers: 2 });
  config = new k8s.KubeConfig();
  config.loadFromFile(lab.kubeconfig);
});

afterAll(async () => {
  await lab?.stop();
});

describe('@kubernetes/client-node against the embedded cluster', () => {
  it('lists nodes with their kind-style names', async () => {
    const core = config.makeApiClient(k8s.CoreV1Api);
    const nodes = await core.listNode();
    expect(nodes.items.map((n) => n.metadata?.name)).toEqual([
      'lab-control-plane',
      'lab-worker',
      'lab-worker2',
    ]);
    expect(nodes.items[0]?.spec?.taints?.[0]?.key).toBe('node-role.kubernetes.io/control-plane');
    expect(nodes.items[0]?.metadata?.creationTimestamp).toBeInstanceOf(Date);
  });

  it('creates, reads, patches and deletes a DaemonSet', async () => {
    const apps = config.makeApiClient(k8s.AppsV1Api);
    const created = await apps.createNamespacedDaemonSet({
      namespace: 'default',
      body: {
        metadata: { name: 'agent' },
        spec: {
          selector: { matchLabels: { app: 'agent' } },
          template: {
            metadata: { labels: { app: 'agent' } },
            spec: { containers: [{ name: 'agent', image: 'busybox:1.36' }] },
          },
        },
      },
    });
    expect(created.metadata?.generation).toBe(1);
    expect(created.spec?.updateStrategy?.rollingUpdate?.maxUnavailable).toBe(1);
    const patched = await apps.patchNamespacedDaemonSet(
      {
        name: 'agent',
        namespace: 'default',
        body: [
          { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'busybox:1.37' },
        ],
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    expect(patched.spec?.template.spec?.containers[0]?.image).toBe('busybox:1.37');
    expect(patched.metadata?.annotations?.['deprecated.daemonset.template.generation']).toBe('2');
    const read = await apps.readNamespacedDaemonSet({ name: 'agent', namespace: 'default' });
    // The DaemonSet controller may have written its status since: the spec is what was patched.
    expect(read.metadata?.generation).toBe(patched.metadata?.generation);
    expect(read.spec?.template.spec?.containers[0]?.image).toBe('busybox:1.37');
    expect(Number(read.metadata?.resourceVersion)).toBeGreaterThanOrEqual(
      Number(patched.metadata?.resourceVersion),
    );
    await apps.deleteNamespacedDaemonSet({ name: 'agent', namespace: 'default' });
    await expect(
      apps.readNamespacedDaemonSet({ name: 'agent', namespace: 'default' }),
    ).rejects.toMatchObject({ code: 404 });
  });

  it('pages through a list with limit and continue', async () => {
    const core = config.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'paging' } } });
    for (let i = 0; i < 7; i++) {
      await core.createNamespacedConfigMap({
        namespace: 'paging',
        body: { metadata: { name: `cm-${i}` }, data: { i: String(i) } },
      });
    }
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await core.listNamespacedConfigMap({
        namespace: 'paging',
        limit: 3,
        ...(token ? { _continue: token } : {}),
      });
      names.push(...page.items.map((c) => c.metadata?.name ?? ''));
      token = page.metadata?._continue;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(names).toEqual([
      'cm-0',
      'cm-1',
      'cm-2',
      'cm-3',
      'cm-4',
      'cm-5',
      'cm-6',
      'kube-root-ca.crt',
    ]);
  });

  it('watches changes', async () => {
    const watch = new k8s.Watch(config);
    const seen: string[] = [];
    const controller = await watch.watch(
      '/api/v1/namespaces/default/configmaps',
      {},
      (type: string, object: k8s.V1ConfigMap) =>
        seen.push(`${type} ${object.metadata?.name ?? ''}`),
      () => undefined,
    );
    const core = config.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'watched' } },
    });
    await core.deleteNamespacedConfigMap({ name: 'watched', namespace: 'default' });
    const started = Date.now();
    while (!seen.includes('DELETED watched') && Date.now() - started < 5000)
      await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    expect(seen).toEqual(['ADDED kube-root-ca.crt', 'ADDED watched', 'DELETED watched']);
  });

  it('reports API errors with the Status body', async () => {
    const core = config.makeApiClient(k8s.CoreV1Api);
    try {
      await core.createNamespacedPod({
        namespace: 'nowhere',
        body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(k8s.ApiException);
      const body = JSON.parse((error as k8s.ApiException<string>).body) as {
        message: string;
        reason: string;
      };
      expect(body).toMatchObject({ reason: 'NotFound', message: 'namespaces "nowhere" not found' });
    }
  });
});
