/**
 * How the app gets a cluster (DESIGN.md §1): every backend — embedded, kind, any kubeconfig
 * context — is started, stopped and changed through this one interface, and reached through its
 * kubeconfig like any cluster. The rest of the app asks `capabilities()` rather than which
 * backend it has.
 */
import type { TaintSpec } from './operations';

export type BackendKind = 'embedded' | 'kind' | 'context';

export interface ClusterCapabilities {
  /** addNode / removeNode. */
  readonly addRemoveNodes: boolean;
  /** stopNode / startNode (a node's kubelet down and up). */
  readonly stopStartNodes: boolean;
  /** advanceClock. */
  readonly advanceClock: boolean;
  /** setPace. */
  readonly pace: boolean;
  /** saveBaseline / reset. */
  readonly reset: boolean;
}

export type BackendState = 'stopped' | 'starting' | 'running' | 'stopping' | 'failed';

export interface BackendStatus {
  readonly state: BackendState;
  /** What went wrong, when `failed`; what is happening, when `starting`. */
  readonly message?: string;
  readonly server?: string;
}

/** A step of a long start, for a progress bar: `done` of `total` steps, and what. */
export interface ProgressEvent {
  readonly done: number;
  readonly total: number;
  readonly message: string;
}

export interface KubeconfigRef {
  readonly path: string;
  readonly context: string;
}

export interface NodeRequest {
  readonly name?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly taints?: readonly TaintSpec[];
  readonly role?: 'worker' | 'control-plane';
}

export interface ClusterBackend {
  readonly kind: BackendKind;
  capabilities(): ClusterCapabilities;
  /** Starts (or attaches to) the cluster; resolves once it serves. */
  start(onProgress?: (event: ProgressEvent) => void): Promise<void>;
  stop(): Promise<void>;
  status(): BackendStatus;
  /** Calls `listener` on every status change; returns the unsubscribe function. */
  onStatus(listener: (status: BackendStatus) => void): () => void;
  /** Where its kubeconfig is, once started. */
  kubeconfig(): KubeconfigRef | undefined;
  /** Answers the new node's name. */
  addNode(request: NodeRequest): Promise<string>;
  removeNode(name: string): Promise<void>;
  stopNode(name: string): Promise<void>;
  startNode(name: string): Promise<void>;
  /** Ages the cluster by a Go duration (`5m`). */
  advanceClock(duration: string): Promise<void>;
  setPace(pace: 'instant' | 'realistic'): Promise<void>;
  /** Saves the current state as the baseline `reset` returns to. */
  saveBaseline(): Promise<void>;
  /** Puts the cluster back to its baseline. */
  reset(): Promise<void>;
}

/** Thrown by operations a backend cannot do (see capabilities). */
export class UnsupportedOperationError extends Error {
  constructor(kind: BackendKind, operation: string) {
    super(`the ${kind} backend cannot ${operation}`);
    this.name = 'UnsupportedOperationError';
  }
}
