import { describe, expect, it } from 'vitest';
import type { BackendStatus, ClusterBackend, ProgressEvent } from '../cluster/backend';
import type { ClusterStatus } from '../bridge/contract';
import { createClusterService } from './cluster-service';

/** A backend that starts when told, reporting the given progress. */
function fakeBackend(fail?: string): ClusterBackend & { finish(): void } {
  let status: BackendStatus = { state: 'stopped' };
  const listeners = new Set<(s: BackendStatus) => void>();
  const set = (next: BackendStatus): void => {
    status = next;
    for (const l of listeners) l(next);
  };
  let finish = (): void => undefined;
  const unsupported = (): Promise<never> => Promise.reject(new Error('unsupported'));
  return {
    kind: 'embedded',
    capabilities: () => ({
      addRemoveNodes: true,
      stopStartNodes: true,
      advanceClock: true,
      pace: true,
      reset: true,
    }),
    status: () => status,
    onStatus: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    kubeconfig: () =>
      status.state === 'running' ? { path: '/k', context: 'kubelab-kubelab' } : undefined,
    start: (onProgress?: (event: ProgressEvent) => void) =>
      new Promise<void>((resolve, reject) => {
        set({ state: 'starting' });
        onProgress?.({ done: 1, total: 3, message: 'API server serving' });
        finish = () => {
          if (fail) {
            set({ state: 'failed', message: fail });
            reject(new Error(fail));
          } else {
            set({ state: 'running', server: 'https://127.0.0.1:1' });
            resolve();
          }
        };
      }),
    stop: () => Promise.resolve(set({ state: 'stopped' })),
    addNode: unsupported,
    removeNode: unsupported,
    stopNode: unsupported,
    startNode: unsupported,
    advanceClock: unsupported,
    setPace: unsupported,
    saveBaseline: unsupported,
    reset: unsupported,
    finish: () => finish(),
  };
}

describe('cluster service', () => {
  it('streams the status: progress while starting, then where the running cluster is', async () => {
    const backend = fakeBackend();
    const handle = createClusterService(backend);
    const seen: ClusterStatus[] = [];
    handle.service.onDidChangeStatus(
      {},
      { next: (s) => seen.push(s), end: () => undefined },
      {} as never,
    );
    const started = handle.start();
    backend.finish();
    await started;
    expect(seen[0]).toEqual({ backend: 'embedded', state: 'stopped' });
    expect(seen).toContainEqual({
      backend: 'embedded',
      state: 'starting',
      progress: { done: 1, total: 3 },
      message: 'API server serving',
    });
    expect(seen.at(-1)).toEqual({
      backend: 'embedded',
      state: 'running',
      server: 'https://127.0.0.1:1',
      kubeconfig: '/k',
      context: 'kubelab-kubelab',
    });
  });

  it('a failed start is a status, not a rejection; no backend is "none"', async () => {
    const backend = fakeBackend('port in use');
    const handle = createClusterService(backend);
    const started = handle.start();
    backend.finish();
    await expect(started).resolves.toBeUndefined();
    const status = await handle.service.getStatus({}, {} as never);
    expect(status).toEqual({
      ok: true,
      value: { backend: 'embedded', state: 'failed', message: 'port in use' },
    });
    const none = await createClusterService(undefined).service.getStatus({}, {} as never);
    expect(none).toEqual({
      ok: true,
      value: { backend: 'none', state: 'stopped', message: 'no cluster backend is configured' },
    });
  });
});
