/**
 * The bridge over Electron IPC — the only file of `main/bridge` that knows Electron, and only its
 * types: the composition root passes `ipcMain` in. One `Session` per renderer (`WebContents`),
 * closed when the page navigates or the window goes away. Only our own top-level frame is served.
 */
import type { IpcMain, IpcMainEvent, IpcMainInvokeEvent, WebContents } from 'electron';
import { failure } from '../base/result';
import type { Unsubscribe } from '../base/events';
import { IPC_CHANNELS, type ContractSpec } from './contract';
import type { BridgeServer, Session } from './server';

export interface IpcBridgeOptions {
  /** True when `url` is a page of ours (`kubelab://app/…`); other senders are refused. */
  readonly isTrustedUrl: (url: string) => boolean;
  readonly onError?: (error: unknown) => void;
}

type SenderEvent = IpcMainEvent | IpcMainInvokeEvent;

/** Registers the bridge's IPC handlers; returns a function that removes them. */
export function registerIpcBridge(
  ipcMain: IpcMain,
  bridge: BridgeServer<ContractSpec>,
  options: IpcBridgeOptions,
): Unsubscribe {
  const sessions = new Map<number, Session>();
  const onError = options.onError ?? (() => undefined);

  const trusted = (event: SenderEvent): boolean => {
    const frame = event.senderFrame;
    // Only the top frame of one of our pages: never an iframe, never a foreign page.
    return Boolean(frame && frame.parent === null && options.isTrustedUrl(frame.url));
  };

  const sessionFor = (contents: WebContents): Session => {
    let session = sessions.get(contents.id);
    if (session) return session;
    const created = bridge.connect({
      transport: 'ipc',
      send: (message) => {
        if (!contents.isDestroyed()) contents.send(IPC_CHANNELS.stream, message);
      },
    });
    sessions.set(contents.id, created);
    const end = (): void => {
      if (sessions.get(contents.id) === created) sessions.delete(contents.id);
      created.close();
    };
    contents.once('destroyed', end);
    // A reload or a navigation to another document starts a page with new subscriptions.
    const onNavigation = (details: { isMainFrame: boolean; isSameDocument: boolean }): void => {
      if (!details.isMainFrame || details.isSameDocument) return;
      contents.off('did-start-navigation', onNavigation);
      end();
    };
    contents.on('did-start-navigation', onNavigation);
    session = created;
    return session;
  };

  ipcMain.handle(IPC_CHANNELS.invoke, (event, payload: unknown) => {
    if (!trusted(event)) return failure('InvalidArgument', 'refused: sender is not a Kubelab page');
    return sessionFor(event.sender).call(payload);
  });

  const onControl = (event: IpcMainEvent, payload: unknown): void => {
    if (!trusted(event)) {
      onError(new Error(`refused control message from ${event.senderFrame?.url ?? 'unknown'}`));
      return;
    }
    const result = sessionFor(event.sender).control(payload);
    if (!result.ok) onError(new Error(result.error.message));
  };
  ipcMain.on(IPC_CHANNELS.control, onControl);

  return () => {
    ipcMain.removeHandler(IPC_CHANNELS.invoke);
    ipcMain.off(IPC_CHANNELS.control, onControl);
    for (const session of sessions.values()) session.close();
    sessions.clear();
  };
}
