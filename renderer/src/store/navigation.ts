/** Which part of the app is open. Persisted: the app reopens where the learner left it. */
import type { StateCreator } from 'zustand';
import type { AppState } from './index';

export const SECTIONS = ['lessons', 'labs', 'quiz', 'exam'] as const;
export type Section = (typeof SECTIONS)[number];

export function isSection(value: unknown): value is Section {
  return typeof value === 'string' && (SECTIONS as readonly string[]).includes(value);
}

export interface NavigationSlice {
  readonly section: Section;
  setSection(section: Section): void;
}

export const createNavigationSlice: StateCreator<AppState, [], [], NavigationSlice> = (set) => ({
  section: 'lessons',
  setSection: (section) => set({ section }),
});
