import { useAppStore } from '../store';
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
    </footer>
  );
}
