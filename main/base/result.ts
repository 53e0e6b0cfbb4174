/**
 * Expected failures travel as values, not exceptions: a thrown error that crosses the Electron IPC
 * boundary arrives as a bare `message` (see VS Code `ipcMain.ts`), and a WebSocket cannot carry one
 * at all. Every bridge call therefore resolves to a `Result`.
 */
export type Result<T, E = Failure> = Ok<T> | Err<E>;

export interface Ok<T> {
  readonly ok: true;
  readonly value: T;
}

export interface Err<E> {
  readonly ok: false;
  readonly error: E;
}

/** The failure shape every service uses: a stable code to branch on and a sentence for people. */
export interface Failure {
  readonly code: FailureCode;
  readonly message: string;
}

/**
 * Failure codes. `Unavailable` means the other side cannot be reached right now (retry later);
 * `InvalidArgument` means the payload failed validation and retrying the same call cannot help.
 */
export type FailureCode =
  'InvalidArgument' | 'NotFound' | 'Unavailable' | 'Overflow' | 'Cancelled' | 'Internal';

export function ok<T>(value: T): Ok<T> {
  return { ok: true, value };
}

export function err<E = Failure>(error: E): Err<E> {
  return { ok: false, error };
}

export function failure(code: FailureCode, message: string): Err<Failure> {
  return { ok: false, error: { code, message } };
}
