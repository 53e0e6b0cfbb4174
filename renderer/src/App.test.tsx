import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { App } from './App';
import { useAppStore } from './store';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLDivElement;
let root: Root;

beforeEach(() => {
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
  useAppStore.setState({ section: 'lessons', bridge: 'connecting', appInfo: undefined });
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

describe('the app shell', () => {
  it('shows the four sections and switches between them', () => {
    act(() => root.render(<App />));
    const items = [...container.querySelectorAll('nav .nav-item')].map((b) => b.textContent);
    expect(items).toEqual(['Lessons', 'Labs', 'Quiz', 'Exam']);
    expect(container.querySelector('h1')?.textContent).toBe('Lessons');
    const labs = [...container.querySelectorAll<HTMLButtonElement>('nav .nav-item')][1]!;
    act(() => labs.click());
    expect(container.querySelector('h1')?.textContent).toBe('Labs');
    expect(labs.getAttribute('aria-current')).toBe('page');
    expect(useAppStore.getState().section).toBe('labs');
  });

  it('shows the bridge state and the version in the status bar', () => {
    act(() => root.render(<App />));
    const status = () => container.querySelector('[data-bridge-state]');
    expect(status()?.getAttribute('data-bridge-state')).toBe('connecting');
    expect(container.querySelector('[data-testid=app-version]')).toBeNull();
    act(() =>
      useAppStore
        .getState()
        .setAppInfo({ name: 'Kubelab', version: '0.1.0', mode: 'browser', platform: 'linux' }),
    );
    expect(status()?.getAttribute('data-bridge-state')).toBe('connected');
    expect(status()?.textContent).toBe('Connected');
    expect(container.querySelector('[data-testid=app-version]')?.textContent).toBe('Kubelab 0.1.0');
    act(() => useAppStore.getState().setBridgeStatus('disconnected'));
    expect(status()?.textContent).toBe('Disconnected — reconnecting');
  });
});
