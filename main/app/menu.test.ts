import { describe, expect, it, vi } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import { menuTemplate } from './menu';

function labels(template: MenuItemConstructorOptions[]): string[] {
  return template.map((item) => item.label ?? item.role ?? '?');
}

describe('menu', () => {
  it('has the usual menus, with the app menu first on macOS only', () => {
    const deps = { openExternal: vi.fn(), homepage: 'https://kubelab.example' };
    expect(labels(menuTemplate({ ...deps, platform: 'linux' }))).toEqual([
      'File',
      'Edit',
      'View',
      'help',
    ]);
    expect(labels(menuTemplate({ ...deps, platform: 'darwin' }))).toEqual([
      'Kubelab',
      'File',
      'Edit',
      'View',
      'help',
    ]);
  });

  it('opens help links in the system browser', () => {
    const openExternal = vi.fn();
    const help = menuTemplate({
      platform: 'linux',
      openExternal,
      homepage: 'https://kubelab.example',
    }).at(-1);
    const items = help?.submenu as MenuItemConstructorOptions[];
    for (const item of items) (item.click as () => void)();
    expect(openExternal.mock.calls).toEqual([
      ['https://kubelab.example'],
      ['https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/'],
    ]);
  });
});
