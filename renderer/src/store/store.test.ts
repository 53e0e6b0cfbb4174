import { beforeEach, describe, expect, it } from 'vitest';
import { migratePersisted, STORE_NAME, STORE_VERSION, useAppStore } from './index';

beforeEach(() => {
  localStorage.clear();
});

describe('the app store', () => {
  it('persists only the open section, with a version', () => {
    useAppStore.getState().setSection('labs');
    useAppStore
      .getState()
      .setAppInfo({ name: 'Kubelab', version: '9.9.9', mode: 'browser', platform: 'linux' });
    const stored = JSON.parse(localStorage.getItem(STORE_NAME) ?? '{}') as unknown;
    expect(stored).toEqual({ state: { section: 'labs' }, version: STORE_VERSION });
  });

  it('rehydrates the section and ignores unknown or stale values', async () => {
    localStorage.setItem(
      STORE_NAME,
      JSON.stringify({ state: { section: 'exam' }, version: STORE_VERSION }),
    );
    await useAppStore.persist.rehydrate();
    expect(useAppStore.getState().section).toBe('exam');
    localStorage.setItem(STORE_NAME, JSON.stringify({ state: { section: 'casino' }, version: 0 }));
    await useAppStore.persist.rehydrate();
    expect(useAppStore.getState().section).toBe('lessons');
  });

  it('migrates anything to a valid shape', () => {
    expect(migratePersisted(null, 0)).toEqual({ section: 'lessons' });
    expect(migratePersisted({ section: 'quiz', extra: 1 }, 0)).toEqual({ section: 'quiz' });
  });
});
