/**
 * The main window's options and the rules every web page of the app lives by: isolated, sandboxed,
 * no Node, no navigation away from our origin, no new windows — links to the web open in the
 * user's browser instead. (DESIGN.md rule 4; anchors: VS Code's preload, Headlamp `main.ts:1577`.)
 */
import type { BrowserWindowConstructorOptions, WebContents } from 'electron';
import { isAppUrl } from './protocol';

export function mainWindowOptions(preload: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: 'Kubelab',
    backgroundColor: '#0f172a',
    show: false,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  };
}

/** Only http(s) and mailto links leave the app, and only to the system's handler. */
export function isExternalUrl(url: string): boolean {
  try {
    return ['https:', 'http:', 'mailto:'].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}

/** Applies the navigation and window-opening rules to one WebContents. */
export function applyContentsPolicy(
  contents: WebContents,
  openExternal: (url: string) => Promise<void>,
): void {
  const leave = (url: string): void => {
    if (isExternalUrl(url)) void openExternal(url).catch(() => undefined);
  };
  contents.on('will-navigate', (event, url) => {
    if (isAppUrl(url)) return;
    event.preventDefault();
    leave(url);
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    leave(url);
    return { action: 'deny' };
  });
}
