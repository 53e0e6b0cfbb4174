import { useAppStore } from '../store';
import { clusterLabel } from '../store/cluster';
import type { BridgeStatus } from '../store/connection';

const LABEL: Record<BridgeStatus, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  disconnected: 'Disconnected — reconnecting',
  unauthorized: 'Access token refused — open the URL that kubelab serve printed',
};

export function StatusBar() {
  const bridge = useAppStore((state) => state.bridge);
  const info = useAppStore((state) => state.appInfo);
  const error = useAppStore((state) => state.bridgeError);
  const cluster = useAppStore((state) => state.cluster);
  return (
    <footer className="statusbar">
      <span className="bridge" data-bridge-state={bridge} role="status" title={error}>
        <span className="dot" aria-hidden="true" />
        {LABEL[bridge]}
      </span>
      {info && (
        <span className="app-version" data-testid="app-version">
          Kubelab {info.version}
        </span>
      )}
      {info && <span className="mode">{info.mode === 'desktop' ? 'desktop' : 'browser mode'}</span>}
      {bridge === 'connected' && (
        <span
          className="cluster"
          data-testid="cluster-status"
          data-cluster-state={cluster?.state ?? 'unknown'}
          title={cluster?.server ? `${cluster.server} (${cluster.kubeconfig ?? ''})` : undefined}
        >
          <span className="dot" aria-hidden="true" />
          {clusterLabel(cluster)}
        </span>
      )}
    </footer>
  );
}
