/**
 * SLUICE_ARTIFACTS: where run artifacts are kept, a folder (relative to the working directory) or
 * an S3-compatible bucket as `s3://bucket/prefix`.
 */

export type ArtifactLocation =
  | { kind: 'folder'; path: string }
  | { kind: 's3'; bucket: string; prefix: string };

export const ARTIFACT_LOCATION_EXPECTATION =
  'expected a folder, or s3://bucket/prefix with a bucket name of 3 to 63 lowercase letters, digits, dots and dashes';

export function parseArtifactLocation(text: string): ArtifactLocation | undefined {
  if (!/^s3:\/\//i.test(text))
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? undefined : { kind: 'folder', path: text };
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/i.exec(text);
  if (!match || /[A-Z]/.test(match[1]!)) return undefined;
  const prefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix.split('/').some((segment) => segment === '.' || segment === '..')) return undefined;
  return { kind: 's3', bucket: match[1]!, prefix: prefix === '' ? '' : `${prefix}/` };
}
