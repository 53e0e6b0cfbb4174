/**
 * The `cluster` service: the practice cluster's state for the UI — which backend, starting (with
 * progress), running (where, and the kubeconfig that reaches it) or failed (and why).
 */
import { ok } from '../base/result';
import type { ClusterBackend, ProgressEvent } from '../cluster/backend';
import type { ClusterService, ClusterStatus } from '../bridge/contract';

export interface ClusterServiceHandle {
  readonly service: ClusterService;
  /** Starts the backend, reporting progress to subscribers; never rejects (failures are status). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createClusterService(backend: ClusterBackend | undefined): ClusterServiceHandle {
  const listeners = new Set<(status: ClusterStatus) => void>();
  let progress: ProgressEvent | undefined;
  const current = (): ClusterStatus => {
    if (!backend) {
      return { backend: 'none', state: 'stopped', message: 'no cluster backend is configured' };
    }
    const status = backend.status();
    const ref = status.state === 'running' ? backend.kubeconfig() : undefined;
    return {
      backend: backend.kind,
      state: status.state,
      ...(status.message !== undefined ? { message: status.message } : {}),
      ...(status.server !== undefined ? { server: status.server } : {}),
      ...(ref ? { kubeconfig: ref.path, context: ref.context } : {}),
      ...(status.state === 'starting' && progress
        ? {
            progress: { done: progress.done, total: progress.total },
            message: progress.message,
          }
        : {}),
    };
  };
  const publish = (): void => {
    const status = current();
    for (const listener of listeners) listener(status);
  };
  backend?.onStatus(publish);
  return {
    service: {
      getStatus: () => Promise.resolve(ok(current())),
      onDidChangeStatus: (_input, sink) => {
        const listener = (status: ClusterStatus): void => sink.next(status);
        listeners.add(listener);
        listener(current());
        return () => listeners.delete(listener);
      },
    },
    async start() {
      if (!backend) return;
      try {
        await backend.start((event) => {
          progress = event;
          publish();
        });
      } catch {
        // The backend's status says why; subscribers have been told.
      }
      progress = undefined;
      publish();
    },
    async stop() {
      await backend?.stop();
    },
  };
}
