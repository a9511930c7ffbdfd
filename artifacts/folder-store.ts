/**
 * The artifact store as a folder on disk: a key is a path under the root. Every key is checked
 * (core/artifacts/paths.ts) and resolved inside the root before it is touched. A write goes to a
 * temporary file renamed into place, so a reader never sees half an artifact.
 */
import { mkdir, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { checkArtifactPath } from '../core/artifacts/paths.ts';
import type { ArtifactStore, StoredArtifact } from './store.ts';

export class FolderArtifactStore implements ArtifactStore {
  readonly root: string;
  readonly location: string;
  private writes = 0;

  constructor(root: string) {
    this.root = resolve(root);
    this.location = this.root;
  }

  private fileOf(key: string): string {
    const file = resolve(this.root, checkArtifactPath(key));
    if (!file.startsWith(this.root + sep))
      throw new Error(`artifact key ${JSON.stringify(key)} leaves ${this.root}`);
    return file;
  }

  /** the folder keeps no content type: it is given by the extension when served. */
  async put(key: string, body: string | Uint8Array, _contentType?: string): Promise<void> {
    const file = this.fileOf(key);
    await mkdir(dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.${++this.writes}.partial`;
    try {
      await writeFile(temporary, body);
      await rename(temporary, file);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      return await readFile(this.fileOf(key));
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async list(prefix: string): Promise<StoredArtifact[]> {
    // the deepest folder the prefix names completely, walked from there
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const start = folder === '' ? this.root : this.fileOf(folder);
    const found: StoredArtifact[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: Array<import('node:fs').Dirent>;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
        throw error;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.isFile() && !entry.name.endsWith('.partial')) {
          const key = relative(this.root, path).split(sep).join('/');
          if (!key.startsWith(prefix)) continue;
          const info = await stat(path).catch((error) => (isMissing(error) ? null : Promise.reject(error)));
          if (info) found.push({ key, size: info.size, lastModified: info.mtimeMs });
        }
      }
    };
    await walk(start);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async remove(keys: readonly string[]): Promise<void> {
    const folders = new Set<string>();
    for (const key of keys) {
      const file = this.fileOf(key);
      await rm(file, { force: true });
      folders.add(dirname(file));
    }
    // folders left empty go too, up to the root
    const deepestFirst = [...folders].sort((a, b) => b.length - a.length);
    for (const start of deepestFirst) {
      for (let dir = start; dir.startsWith(this.root + sep); dir = dirname(dir)) {
        try {
          await rmdir(dir);
        } catch {
          break;
        }
      }
    }
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
