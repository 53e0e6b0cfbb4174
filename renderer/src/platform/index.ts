/**
 * The renderer's connection to main: IPC inside the desktop app, a WebSocket in browser mode.
 */
import { BRIDGE_PATH, HEALTH_PATH, type Contract } from '../../../main/bridge/contract';
import { createBridgeClient, type BridgeClient } from './bridge-client';
import { createIpcTransport, preloadApi } from './ipc-transport';
import { createWebSocketTransport } from './ws-transport';

export type { ConnectionState } from './bridge-client';

export function connectBridge(): BridgeClient<Contract> {
  const api = preloadApi();
  if (api) return createBridgeClient<Contract>(createIpcTransport(api));
  const { host, protocol } = window.location;
  const wsProtocol = protocol === 'https:' ? 'wss:' : 'ws:';
  return createBridgeClient<Contract>(
    createWebSocketTransport({
      url: `${wsProtocol}//${host}${BRIDGE_PATH}`,
      healthUrl: `${protocol}//${host}${HEALTH_PATH}`,
    }),
  );
}
