/**
 * Feeds the store from the bridge: transport state, the app.getInfo round trip on every
 * (re)connection, the heartbeat stream and the practice cluster's status stream.
 */
import type { Contract, Unsubscribe } from '../../../main/bridge/contract';
import type { BridgeClient } from '../platform/bridge-client';
import type { ConnectionSlice } from './connection';
import type { ClusterSlice } from './cluster';

type Sink = Pick<ConnectionSlice, 'setBridgeStatus' | 'setAppInfo' | 'setHeartbeat'> &
  Partial<Pick<ClusterSlice, 'setCluster'>>;

export const HEARTBEAT_INTERVAL_MS = 5_000;

export function bindBridge(client: BridgeClient<Contract>, store: () => Sink): Unsubscribe {
  let generation = 0;
  const roundTrip = async (): Promise<void> => {
    const mine = ++generation;
    store().setBridgeStatus('connecting');
    const result = await client.api.app.getInfo({});
    if (mine !== generation) return;
    if (result.ok) store().setAppInfo(result.value);
    else store().setBridgeStatus('disconnected', result.error.message);
  };
  const onState = (state: typeof client.transport.state): void => {
    if (state === 'connected') void roundTrip();
    else {
      generation++;
      store().setBridgeStatus(state);
    }
  };
  const stopState = client.transport.onState(onState);
  onState(client.transport.state);
  const stopHeartbeat = client.api.app.onDidHeartbeat(
    { intervalMs: HEARTBEAT_INTERVAL_MS },
    { next: (beat) => store().setHeartbeat(beat.serverTime) },
  );
  const stopCluster = client.api.cluster.onDidChangeStatus(
    {},
    { next: (status) => store().setCluster?.(status) },
  );
  return () => {
    stopState();
    stopHeartbeat();
    stopCluster();
  };
}
