/**
 * The renderer's single zustand store, built from typed slices (zustand's slices pattern).
 * Only user state is persisted — here, the open section — with a version and a migration
 * (DESIGN.md rule 10); server state never is.
 */
import { create } from 'zustand';
import { createJSONStorage, persist } from 'zustand/middleware';
import { createConnectionSlice, type ConnectionSlice } from './connection';
import { createNavigationSlice, isSection, type NavigationSlice } from './navigation';
import { createClusterSlice, type ClusterSlice } from './cluster';

export type AppState = ConnectionSlice & NavigationSlice & ClusterSlice;

/** What is written to storage. */
export interface PersistedState {
  readonly section: NavigationSlice['section'];
}

export const STORE_NAME = 'kubelab.ui';
export const STORE_VERSION = 1;

/** Brings persisted state of any earlier version to the current shape. */
export function migratePersisted(persisted: unknown, _version: number): PersistedState {
  const section = (persisted as { section?: unknown } | null)?.section;
  return { section: isSection(section) ? section : 'lessons' };
}

export const useAppStore = create<AppState>()(
  persist(
    (...args) => ({
      ...createConnectionSlice(...args),
      ...createNavigationSlice(...args),
      ...createClusterSlice(...args),
    }),
    {
      name: STORE_NAME,
      version: STORE_VERSION,
      storage: createJSONStorage(() => localStorage),
      partialize: (state): PersistedState => ({ section: state.section }),
      migrate: migratePersisted,
      merge: (persisted, current) => ({
        ...current,
        ...migratePersisted(persisted, STORE_VERSION),
      }),
    },
  ),
);
