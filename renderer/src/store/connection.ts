/**
 * The bridge as the UI sees it: "connected" only once a real round trip (app.getInfo) has come
 * back, so the status bar never claims more than it has seen.
 */
import type { StateCreator } from 'zustand';
import type { AppInfo } from '../../../main/bridge/contract';
import type { AppState } from './index';

export type BridgeStatus = 'connecting' | 'connected' | 'disconnected' | 'unauthorized';

export interface ConnectionSlice {
  readonly bridge: BridgeStatus;
  readonly appInfo: AppInfo | undefined;
  /** Main's clock at the last heartbeat, for "last seen". */
  readonly lastHeartbeat: number | undefined;
  /** Why the last round trip failed, if it did. */
  readonly bridgeError: string | undefined;
  setBridgeStatus(status: BridgeStatus, error?: string): void;
  setAppInfo(info: AppInfo): void;
  setHeartbeat(serverTime: number): void;
}

export const createConnectionSlice: StateCreator<AppState, [], [], ConnectionSlice> = (set) => ({
  bridge: 'connecting',
  appInfo: undefined,
  lastHeartbeat: undefined,
  bridgeError: undefined,
  setBridgeStatus: (bridge, bridgeError) => set({ bridge, bridgeError }),
  setAppInfo: (appInfo) => set({ appInfo, bridge: 'connected', bridgeError: undefined }),
  setHeartbeat: (lastHeartbeat) => set({ lastHeartbeat }),
});
