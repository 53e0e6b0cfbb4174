/**
 * Electron composition root (DESIGN.md rule 1): builds the services, registers the bridge, opens
 * the window. Behaviour lives in plain modules; this file only wires them.
 */
import { app, BrowserWindow, ipcMain, Menu, protocol, session, shell } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { realClock } from '../base/clock';
import { contract } from '../bridge/contract';
import { registerIpcBridge } from '../bridge/ipc';
import { BridgeServer } from '../bridge/server';
import { packageRoot, rendererDir } from '../platform/paths';
import { createServices } from '../services';
import { createClusterService } from '../services/cluster-service';
import { createPracticeBackend } from '../services/practice-cluster';
import packageJson from '../../package.json';
import { menuTemplate } from './menu';
import { APP_ORIGIN, handleAppProtocol, isAppUrl, registerAppScheme } from './protocol';
import { applyContentsPolicy, mainWindowOptions } from './window';

const here = dirname(fileURLToPath(import.meta.url));
const openExternal = (url: string): Promise<void> => shell.openExternal(url);

registerAppScheme(protocol);
app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('web-contents-created', (_event, contents) => applyContentsPolicy(contents, openExternal));

  let window: BrowserWindow | undefined;
  const openWindow = (): void => {
    window = new BrowserWindow(mainWindowOptions(join(here, 'preload.cjs')));
    window.once('ready-to-show', () => window?.show());
    window.on('closed', () => (window = undefined));
    void window.loadURL(`${APP_ORIGIN}/`);
  };

  app.on('second-instance', () => {
    if (window?.isMinimized()) window.restore();
    window?.focus();
  });

  void app.whenReady().then(() => {
    handleAppProtocol(protocol, rendererDir(packageRoot(fileURLToPath(import.meta.url))));
    session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) =>
      callback(false),
    );
    const cluster = createClusterService(
      createPracticeBackend({
        root: packageRoot(fileURLToPath(import.meta.url)),
        env: process.env,
        node: process.execPath,
      }),
    );
    const services = createServices({
      clock: realClock,
      mode: 'desktop',
      platform: process.platform,
      cluster: cluster.service,
    });
    void cluster.start();
    let stopping = false;
    app.on('before-quit', (event) => {
      if (stopping) return;
      stopping = true;
      event.preventDefault();
      void cluster.stop().finally(() => app.quit());
    });
    const bridge = new BridgeServer(contract, services, {
      onError: (error, where) => console.error(`kubelab: ${where}:`, error),
    });
    registerIpcBridge(ipcMain, bridge, { isTrustedUrl: isAppUrl });
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        menuTemplate({
          platform: process.platform,
          openExternal: (url) => void openExternal(url),
          homepage: packageJson.homepage,
        }),
      ),
    );
    openWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) openWindow();
    });
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}
