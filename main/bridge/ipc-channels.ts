/**
 * The Electron IPC channel names, part of the bridge contract (re-exported by `contract.ts`).
 * They live in this dependency-free file so the sandboxed preload can bundle them without the
 * contract's schemas.
 */

/** IPC channels, all under the `kubelab:` prefix. The preload refuses any other channel. */
export const IPC_CHANNELS = {
  /** renderer → main, request/response: a `CallRequest`, answered with a `Result`. */
  invoke: 'kubelab:invoke',
  /** renderer → main, one way: a `ControlMessage`. */
  control: 'kubelab:control',
  /** main → renderer: a `StreamMessage`. */
  stream: 'kubelab:stream',
} as const;

export type InvokeChannel = typeof IPC_CHANNELS.invoke;
export type SendChannel = typeof IPC_CHANNELS.control;
export type ReceiveChannel = typeof IPC_CHANNELS.stream;

/** The global name the preload exposes its API under (`window.kubelab`). */
export const PRELOAD_GLOBAL = 'kubelab';
