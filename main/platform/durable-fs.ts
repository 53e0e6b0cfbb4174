/**
 * The persistent store's file operations over node:fs, with the fsyncs that make them durable:
 * the implementation of main/apiserver/store/durable-fs.ts's `DurableFs` (matched structurally:
 * main/platform may not import the API server, eslint/layering.mjs). See that file for the
 * contract; the crash tests run against its in-memory model, this is what production runs.
 *
 * Limits of the host, not of this code: on macOS, fsync reaches the drive but not through its
 * write cache (that needs F_FULLFSYNC, which Node does not expose); on Windows a directory cannot
 * be opened to be fsync'd, so `syncDir` relies on NTFS journaling its metadata.
 */
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** `AppendFile` of durable-fs.ts, restated here (platform may not import the API server). */
export interface NodeAppendFile {
  append(data: Uint8Array): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

async function syncDirectory(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The node:fs implementation; files are created 0600 and folders 0700 unless told otherwise. */
export const nodeDurableFs = {
  async readFile(path: string): Promise<Uint8Array | undefined> {
    try {
      return await readFile(path);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  },

  readDir(path: string): Promise<string[]> {
    return readdir(path);
  },

  async openAppend(path: string): Promise<NodeAppendFile> {
    const handle = await open(path, 'a', 0o600);
    return {
      async append(data) {
        // write() may take fewer bytes than asked; with 'a' every write lands at the end.
        let offset = 0;
        while (offset < data.length) {
          const { bytesWritten } = await handle.write(data, offset, data.length - offset);
          offset += bytesWritten;
        }
      },
      // fdatasync: the data and what is needed to read it back (the file's size), not its times.
      sync: () => handle.datasync(),
      close: () => handle.close(),
    };
  },

  async writeFile(path: string, data: Uint8Array, options: { mode?: number } = {}): Promise<void> {
    const handle = await open(path, 'w', options.mode ?? 0o600);
    try {
      let offset = 0;
      while (offset < data.length) {
        const { bytesWritten } = await handle.write(data, offset, data.length - offset);
        offset += bytesWritten;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
  },

  rename(from: string, to: string): Promise<void> {
    return rename(from, to);
  },

  syncDir: syncDirectory,

  async unlink(path: string): Promise<void> {
    try {
      await unlink(path);
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  },

  async mkdir(path: string): Promise<void> {
    // `first` is the first folder created, if any. Each new folder's name lives in its parent,
    // so the parents of every folder from `first` down to `path` are fsync'd.
    const target = resolve(path);
    const first = await mkdir(target, { recursive: true, mode: 0o700 });
    if (first === undefined) return;
    const parents: string[] = [];
    for (let dir = target; ; dir = dirname(dir)) {
      parents.push(dirname(dir));
      if (dir === first || dirname(dir) === dir) break;
    }
    for (const parent of parents) await syncDirectory(parent);
  },
};
