/**
 * The artifact store a process's configuration names: SLUICE_ARTIFACTS (a folder, or an
 * S3-compatible bucket with the SLUICE_ARTIFACTS_S3_… settings), else the `artifacts` folder in the
 * process's home (SLUICE_HOME; for `sluice dev` the project's `.sluice`).
 */
import { join, resolve } from 'node:path';
import type { ArtifactLocation } from '../config/artifact-location.ts';
import { ConfigurationError } from '../config/configuration-error.ts';
import { FolderArtifactStore } from './folder-store.ts';
import { S3ArtifactStore } from './s3-store.ts';
import type { ArtifactStore } from './store.ts';

export interface ArtifactSettings {
  SLUICE_ARTIFACTS?: ArtifactLocation | undefined;
  SLUICE_ARTIFACTS_S3_ENDPOINT?: string | undefined;
  SLUICE_ARTIFACTS_S3_REGION?: string | undefined;
  SLUICE_ARTIFACTS_S3_ACCESS_KEY_ID?: string | undefined;
  SLUICE_ARTIFACTS_S3_SECRET_ACCESS_KEY?: string | undefined;
}

/** `home`: the process's own folder (resolved SLUICE_HOME or its default). */
export function artifactStoreOf(values: ArtifactSettings, home: string, cwd: string): ArtifactStore {
  const location = values.SLUICE_ARTIFACTS;
  if (location === undefined) return new FolderArtifactStore(join(resolve(cwd, home), 'artifacts'));
  if (location.kind === 'folder') return new FolderArtifactStore(resolve(cwd, location.path));
  const region = values.SLUICE_ARTIFACTS_S3_REGION ?? 'us-east-1';
  const accessKeyId = values.SLUICE_ARTIFACTS_S3_ACCESS_KEY_ID;
  const secretAccessKey = values.SLUICE_ARTIFACTS_S3_SECRET_ACCESS_KEY;
  for (const [name, value] of [
    ['SLUICE_ARTIFACTS_S3_ACCESS_KEY_ID', accessKeyId],
    ['SLUICE_ARTIFACTS_S3_SECRET_ACCESS_KEY', secretAccessKey],
  ] as const) {
    if (value === undefined) {
      throw new ConfigurationError(
        `${name}: required when SLUICE_ARTIFACTS names a bucket (s3://${location.bucket}/${location.prefix})`,
        name,
      );
    }
  }
  return new S3ArtifactStore({
    endpoint: values.SLUICE_ARTIFACTS_S3_ENDPOINT ?? `https://s3.${region}.amazonaws.com`,
    region,
    bucket: location.bucket,
    prefix: location.prefix,
    credentials: { accessKeyId: accessKeyId!, secretAccessKey: secretAccessKey! },
  });
}
