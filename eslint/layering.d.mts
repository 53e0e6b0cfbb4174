// Types of layering.mjs, for the TypeScript tests that import it.
import type { ESLint, Linter } from 'eslint';

export interface Layer {
  readonly area: string;
  readonly mayImport: readonly string[];
  readonly electron: boolean | string;
  readonly node: 'no-io' | 'all' | 'none';
  readonly why: string;
}

export const NODE_IO_MODULES: readonly string[];
export const ALL_NODE_MODULES: readonly string[];
export const LAYERS: readonly Layer[];
export const RENDERER_MAY_IMPORT: readonly string[];
export function layeringViolation(from: string, to: string): string | undefined;
export const layeringPlugin: ESLint.Plugin;
export function layeringPathsBlock(root: string): Linter.Config;
export function restrictedImportBlocks(): Linter.Config[];
