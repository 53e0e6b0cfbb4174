/**
 * The file operations the persistent store needs, and nothing more. They come in through an
 * interface, like the clock (DESIGN.md rule 5), for two reasons: the API server may not reach the
 * host's file system itself (eslint/layering.mjs), and the crash tests run the store over a file
 * system that models what a power cut keeps (crash-fs.ts) instead of hoping to catch a real one.
 * The Node implementation is main/platform/durable-fs.ts.
 *
 * The durability contract is POSIX's, as ext4, XFS and APFS keep it:
 * - bytes written or appended are durable only once `sync` (or `writeFile`, which syncs) returns;
 * - a change to a directory (a file created, renamed or unlinked) is durable only once `syncDir`
 *   of that directory returns: a file whose data is synced can still vanish in a power cut if
 *   its name was never synced;
 * - `rename` replaces its target atomically: after a crash the target is the old file or the new
 *   one, never a mix;
 * - `mkdir` is durable when it returns.
 */

/** A file opened for appending (a write-ahead log). */
export interface AppendFile {
  /** Appends every byte of `data` at the end of the file (not yet durable). */
  append(data: Uint8Array): Promise<void>;
  /** Makes everything appended so far durable (fdatasync). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** How a file is created: keys and tokens must not be readable by others. */
export interface WriteFileOptions {
  /** Permission bits for a new file (0600 for keys and tokens). */
  readonly mode?: number;
}

/** The operations themselves; every path is absolute. */
export interface DurableFs {
  /** The whole file, or undefined when it does not exist. */
  readFile(path: string): Promise<Uint8Array | undefined>;
  /** Names (not paths) of the entries of a directory. */
  readDir(path: string): Promise<string[]>;
  /** Opens `path` for appending, creating it (empty) when it does not exist. */
  openAppend(path: string): Promise<AppendFile>;
  /** Creates or truncates `path`, writes `data` and syncs it: its content is durable, its name not. */
  writeFile(path: string, data: Uint8Array, options?: WriteFileOptions): Promise<void>;
  /** Renames within one directory, atomically replacing `to`; durable after `syncDir`. */
  rename(from: string, to: string): Promise<void>;
  /** Makes the directory's entries (creations, renames, removals) durable. */
  syncDir(path: string): Promise<void>;
  /** Removes a file; nothing happens when it does not exist. Durable after `syncDir`. */
  unlink(path: string): Promise<void>;
  /** Creates a directory and its missing parents, durably; nothing happens when it exists. */
  mkdir(path: string): Promise<void>;
}
