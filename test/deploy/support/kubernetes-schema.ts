/**
 * Validation of Kubernetes manifests against the Kubernetes API schemas, as `kubectl apply
 * --validate=strict` would: each object is checked by kubernetes-models' validator for its
 * apiVersion and kind (types, required fields, formats such as quantities), and fields the schema
 * does not define are rejected too, so a misspelt `readinesProbe` fails instead of being dropped.
 *
 * kubernetes-models' compiled validators accept unknown fields. They do read every field their schema
 * defines (and every key of a map), so the object is validated through a Proxy that records the
 * fields read: a field in an object the validator entered, but never read, is unknown to the schema.
 */
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';

interface ModelClass {
  apiVersion: string;
  kind: string;
  /** runs the schema's validator on `this`; throws when it does not match. */
  prototype: { validate(): void };
}

/** The kinds sluice's manifests use; anything else is refused rather than waved through. */
const MODELS: readonly ModelClass[] = [Namespace, ConfigMap, Service, Deployment, Job];

export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

/** Throws ManifestError naming `where`, the object and every problem found; returns nothing when valid. */
export function validateManifest(object: unknown, where: string): void {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) {
    throw new ManifestError(`${where}: a manifest must be a mapping`);
  }
  const { apiVersion, kind } = object as { apiVersion?: unknown; kind?: unknown };
  const model = MODELS.find((m) => m.apiVersion === apiVersion && m.kind === kind);
  if (model === undefined) {
    throw new ManifestError(
      `${where}: no schema for apiVersion ${String(apiVersion)} kind ${String(kind)} ` +
        `(known: ${MODELS.map((m) => `${m.apiVersion} ${m.kind}`).join(', ')})`,
    );
  }
  const reads = new WeakMap<object, Set<PropertyKey>>();
  try {
    model.prototype.validate.call(recordReads(object, reads));
  } catch (error) {
    throw new ManifestError(
      `${where}: ${kind} does not match the Kubernetes schema: ${(error as Error).message}`,
    );
  }
  const unknown = unreadFields(object, reads, '');
  if (unknown.length > 0) {
    throw new ManifestError(
      `${where}: ${kind} has fields the Kubernetes schema does not define: ${unknown.join(', ')}`,
    );
  }
}

/** A view of `value` that notes, per object, which properties were read. */
function recordReads(value: unknown, reads: WeakMap<object, Set<PropertyKey>>): unknown {
  const proxies = new WeakMap<object, object>();
  const wrap = (target: unknown): unknown => {
    if (target === null || typeof target !== 'object') return target;
    const known = proxies.get(target);
    if (known !== undefined) return known;
    const keys = new Set<PropertyKey>();
    reads.set(target, keys);
    const proxy = new Proxy(target, {
      get(object, key) {
        keys.add(key);
        return wrap(Reflect.get(object, key));
      },
    });
    proxies.set(target, proxy);
    return proxy;
  };
  return wrap(value);
}

/** JSON pointers of fields in objects the validator entered (read anything of) but never read. */
function unreadFields(value: unknown, reads: WeakMap<object, Set<PropertyKey>>, path: string): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => unreadFields(item, reads, `${path}/${i}`));
  if (value === null || typeof value !== 'object') return [];
  const read = reads.get(value);
  // an object the validator never looked into has a free-form schema: nothing to say about its keys
  const entered = read !== undefined && read.size > 0;
  return Object.entries(value).flatMap(([key, child]) =>
    entered && !read.has(key) ? [`${path}/${key}`] : unreadFields(child, reads, `${path}/${key}`),
  );
}
