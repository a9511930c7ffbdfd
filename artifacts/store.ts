/**
 * The artifact store: where runs and plans leave their artifacts (run_results.json, compiled SQL,
 * plan summaries). One interface, a folder (folder-store.ts) or an S3-compatible bucket
 * (s3-store.ts); keys are `/`-separated paths checked by core/artifacts/paths.ts.
 */

export interface StoredArtifact {
  /** the key, relative to the store's root. */
  key: string;
  size: number;
  /** epoch ms of the last write. */
  lastModified: number;
}

export interface ArtifactStore {
  /** where the artifacts go, for start-up lines and errors (never a credential). */
  readonly location: string;
  put(key: string, body: string | Uint8Array, contentType: string): Promise<void>;
  /** the artifact's bytes; null when there is none under `key`. */
  get(key: string): Promise<Uint8Array | null>;
  /** every artifact whose key starts with `prefix`, sorted by key. */
  list(prefix: string): Promise<StoredArtifact[]>;
  /** removes the artifacts; keys that are not there are no error. */
  remove(keys: readonly string[]): Promise<void>;
}
