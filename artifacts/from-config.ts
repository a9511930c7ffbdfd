/**
 * The artifact store a process's configuration names: SLUICE_ARTIFACTS (a folder, or an
 * S3-compatible bucket), else the `artifacts` folder in the process's home (SLUICE_HOME; for
 * `sluice dev` the project's `.sluice`).
 */
import { join, resolve } from 'node:path';
import type { ArtifactLocation } from '../config/artifact-location.ts';
import { FolderArtifactStore } from './folder-store.ts';
import type { ArtifactStore } from './store.ts';

export interface ArtifactSettings {
  SLUICE_ARTIFACTS?: ArtifactLocation | undefined;
}

/** `home`: the process's own folder (resolved SLUICE_HOME or its default). */
export function artifactStoreOf(values: ArtifactSettings, home: string, cwd: string): ArtifactStore {
  const location = values.SLUICE_ARTIFACTS;
  if (location === undefined) return new FolderArtifactStore(join(resolve(cwd, home), 'artifacts'));
  if (location.kind === 'folder') return new FolderArtifactStore(resolve(cwd, location.path));
  throw new Error(`SLUICE_ARTIFACTS: s3://${location.bucket}/${location.prefix} is not supported yet`);
}
