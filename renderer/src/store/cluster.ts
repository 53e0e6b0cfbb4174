/**
 * The practice cluster as the UI sees it: its last reported status, straight from main's
 * `cluster.onDidChangeStatus` stream. Server state: never persisted.
 */
import type { StateCreator } from 'zustand';
import type { ClusterStatus } from '../../../main/bridge/contract';
import type { AppState } from './index';

export interface ClusterSlice {
  /** Undefined until main has answered. */
  readonly cluster: ClusterStatus | undefined;
  setCluster(status: ClusterStatus): void;
}

export const createClusterSlice: StateCreator<AppState, [], [], ClusterSlice> = (set) => ({
  cluster: undefined,
  setCluster: (cluster) => set({ cluster }),
});

/** The status bar's words for a cluster status. */
export function clusterLabel(status: ClusterStatus | undefined): string {
  if (!status) return 'Cluster: …';
  switch (status.state) {
    case 'starting':
      return status.progress
        ? `Cluster starting (${status.progress.done}/${status.progress.total}): ${status.message ?? ''}`
        : 'Cluster starting…';
    case 'running':
      return `Cluster running${status.context ? ` · ${status.context}` : ''}`;
    case 'stopping':
      return 'Cluster stopping…';
    case 'failed':
      return `Cluster failed: ${status.message ?? 'unknown error'}`;
    case 'stopped':
      return status.backend === 'none' ? 'No cluster' : 'Cluster stopped';
  }
}
