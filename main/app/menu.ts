/**
 * The application menu, as a template (pure data, tested without Electron).
 */
import type { MenuItemConstructorOptions } from 'electron';

export interface MenuDeps {
  readonly platform: NodeJS.Platform;
  readonly openExternal: (url: string) => void;
  readonly homepage: string;
}

export function menuTemplate(deps: MenuDeps): MenuItemConstructorOptions[] {
  const mac = deps.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [];
  if (mac) {
    template.push({
      label: 'Kubelab',
      submenu: [
        { role: 'about' },
        { type: 'separator' },
        { role: 'hide' },
        { role: 'hideOthers' },
        { role: 'unhide' },
        { type: 'separator' },
        { role: 'quit' },
      ],
    });
  }
  template.push(
    { label: 'File', submenu: [mac ? { role: 'close' } : { role: 'quit' }] },
    {
      label: 'Edit',
      submenu: [
        { role: 'undo' },
        { role: 'redo' },
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'selectAll' },
      ],
    },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        { role: 'toggleDevTools' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    {
      role: 'help',
      submenu: [
        { label: 'Kubelab Website', click: () => deps.openExternal(deps.homepage) },
        {
          label: 'Kubernetes Documentation: DaemonSet',
          click: () =>
            deps.openExternal(
              'https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/',
            ),
        },
      ],
    },
  );
  return template;
}
