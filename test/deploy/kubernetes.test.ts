/**
 * deploy/kubernetes/: every object matches the Kubernetes API schema (strictly: unknown fields are
 * errors), the kustomization applies all of them, and the deployment keeps its promises: executors
 * probed on /healthz and /readyz at 9090 with 1 CPU and 2Gi requested, no pod running as root or
 * writing its root filesystem, and credentials only referenced from Secrets, each on its own side.
 */
import { join } from 'node:path';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IService } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { ManifestError, validateManifest } from './support/kubernetes-schema.ts';
import { KUBERNETES_DIR, readManifests, readYamlDocuments, yamlFiles } from './support/manifests.ts';

const manifests = readManifests();

function find<T>(kind: string, name: string): T {
  const found = manifests.filter((m) => m.object.kind === kind && m.object.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0]!.object as unknown as T;
}

const deployment = (name: string) => find<IDeployment>('Deployment', name);
const configMap = find<IConfigMap>('ConfigMap', 'sluice-config');

function podSpec(object: IDeployment | IJob): IPodSpec {
  const spec = object.spec?.template.spec;
  if (spec === undefined) throw new Error(`${object.metadata?.name}: no pod spec`);
  return spec;
}

function onlyContainer(object: IDeployment | IJob): IContainer {
  const containers = podSpec(object).containers;
  expect(containers).toHaveLength(1);
  return containers[0]!;
}

/** Every pod-bearing object: the Deployments and the bootstrap Job. */
const workloads = manifests.filter((m) => m.object.kind === 'Deployment' || m.object.kind === 'Job');

/** A memory quantity (`2Gi`, `512Mi`, `1G`, bytes) in MiB. */
function mebibytes(quantity: string | number | undefined): number {
  if (quantity === undefined) throw new Error('no memory quantity');
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(quantity));
  if (!match) throw new Error(`not a memory quantity: ${quantity}`);
  const factor: Record<string, number> = {
    '': 1,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
  };
  return (Number(match[1]) * factor[match[2] ?? '']!) / 1024 ** 2;
}

/** A CPU quantity (`1`, `500m`, 2) in cores. */
function cores(quantity: string | number | undefined): number {
  if (quantity === undefined) throw new Error('no cpu quantity');
  const text = String(quantity);
  return text.endsWith('m') ? Number(text.slice(0, -1)) / 1000 : Number(text);
}

/** The Secrets a container reads, by name, with the keys it takes from each. */
function secretReferences(object: IDeployment | IJob): Map<string, Set<string>> {
  const references = new Map<string, Set<string>>();
  const add = (name: string, key: string) => {
    if (!references.has(name)) references.set(name, new Set());
    references.get(name)!.add(key);
  };
  const spec = podSpec(object);
  for (const container of spec.containers) {
    for (const variable of container.env ?? []) {
      const ref = variable.valueFrom?.secretKeyRef;
      if (ref !== undefined) add(ref.name!, ref.key);
    }
    for (const source of container.envFrom ?? []) {
      if (source.secretRef !== undefined) add(source.secretRef.name!, '*');
    }
  }
  for (const volume of spec.volumes ?? []) {
    if (volume.secret !== undefined) add(volume.secret.secretName!, '(volume)');
  }
  return references;
}

/** Whether a value named so is a secret: it must come from a Secret. */
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|_KEY$|_KEY_PREVIOUS$|DATABASE_URL|__CONNECTION__/;

describe('Kubernetes manifests', () => {
  it('match the Kubernetes API schemas, every object of every file', () => {
    expect(manifests.map((m) => `${m.object.kind}/${m.object.metadata.name}`).sort()).toEqual([
      'ConfigMap/sluice-config',
      'Deployment/sluice-api',
      'Deployment/sluice-apply-executor',
      'Deployment/sluice-run-executor',
      'Deployment/sluice-scheduler',
      'Job/sluice-bootstrap-admin-token',
      'Namespace/sluice',
      'Service/sluice-api',
    ]);
    for (const { file, object } of manifests) validateManifest(object, file);
  });

  it('fails validation when a manifest is changed to something Kubernetes would refuse', () => {
    const original = deployment('sluice-run-executor');
    validateManifest(original, 'unchanged');
    const mutations: Array<[string, (d: IDeployment) => void, RegExp]> = [
      [
        'a string where an integer belongs',
        (d) => Object.assign(d.spec!, { replicas: 'two' }),
        /replicas must be integer/,
      ],
      [
        'no containers',
        (d) => Reflect.deleteProperty(d.spec!.template.spec!, 'containers'),
        /required property containers/,
      ],
      [
        'a memory request that is no quantity',
        (d) => {
          d.spec!.template.spec!.containers[0]!.resources!.requests!.memory = '2 gigs';
        },
        /memory must match format "quantity"/,
      ],
      [
        'a probe port that is neither a number nor a name',
        (d) => {
          Object.assign(d.spec!.template.spec!.containers[0]!.readinessProbe!.httpGet!, { port: true });
        },
        /readinessProbe\/httpGet\/port/,
      ],
      [
        'a misspelt field',
        (d) => {
          const container = d.spec!.template.spec!.containers[0]!;
          Object.assign(container, { readinesProbe: container.readinessProbe });
          Reflect.deleteProperty(container, 'readinessProbe');
        },
        /does not define: \/spec\/template\/spec\/containers\/0\/readinesProbe/,
      ],
      [
        'an unknown metadata field',
        (d) => Object.assign(d.metadata!, { label: { a: 'b' } }),
        /does not define: \/metadata\/label$/,
      ],
      [
        'an unknown kind',
        (d) => Object.assign(d, { kind: 'Deploymnt' }),
        /no schema for apiVersion apps\/v1 kind Deploymnt/,
      ],
    ];
    for (const [what, mutate, message] of mutations) {
      const changed = structuredClone(original);
      mutate(changed);
      let error: unknown;
      try {
        validateManifest(changed, 'run-executor-deployment.yaml');
      } catch (caught) {
        error = caught;
      }
      expect(error, what).toBeInstanceOf(ManifestError);
      expect((error as Error).message, what).toMatch(message);
      expect((error as Error).message, what).toContain('run-executor-deployment.yaml');
    }
  });

  it('are all applied by the kustomization, in one namespace, except the one-shot bootstrap Job', () => {
    const [kustomization] = readYamlDocuments(join(KUBERNETES_DIR, 'kustomization.yaml')) as Array<{
      kind: string;
      namespace: string;
      resources: string[];
      images: Array<{ name: string; newTag?: string }>;
    }>;
    expect(kustomization!.kind).toBe('Kustomization');
    const topLevel = yamlFiles(KUBERNETES_DIR).filter((f) => !f.includes('/') && f !== 'kustomization.yaml');
    expect([...kustomization!.resources].sort()).toEqual(topLevel);
    expect(kustomization!.resources).not.toContain('bootstrap/admin-token-job.yaml');
    for (const { file, object } of manifests) {
      if (object.kind === 'Namespace') expect(object.metadata.name, file).toBe(kustomization!.namespace);
      else expect(object.metadata.namespace, file).toBe(kustomization!.namespace);
    }
    const images = workloads.map((m) => onlyContainer(m.object as IDeployment).image ?? '');
    for (const image of images) expect(image.split(':')[0]).toBe(kustomization!.images[0]!.name);
  });

  it('select their own pods only', () => {
    const deployments = manifests
      .filter((m) => m.object.kind === 'Deployment')
      .map((m) => m.object as IDeployment);
    const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
      Object.entries(selector).every(([key, value]) => labels[key] === value);
    for (const d of deployments) {
      const selector = d.spec!.selector.matchLabels!;
      for (const other of deployments) {
        expect(
          matches(selector, other.spec!.template.metadata?.labels),
          `${d.metadata!.name} vs ${other.metadata!.name}`,
        ).toBe(other === d);
      }
    }
    const service = find<IService>('Service', 'sluice-api');
    for (const d of deployments) {
      expect(matches(service.spec!.selector!, d.spec!.template.metadata?.labels)).toBe(
        d.metadata!.name === 'sluice-api',
      );
    }
  });

  it('run no container as root, with privilege escalation, or with a writable root filesystem', () => {
    for (const { file, object } of workloads) {
      const spec = podSpec(object as IDeployment);
      expect(spec.securityContext?.runAsNonRoot, file).toBe(true);
      expect(spec.securityContext?.runAsUser, file).toBeGreaterThan(0);
      expect(spec.automountServiceAccountToken, file).toBe(false);
      for (const container of spec.containers) {
        expect(container.securityContext?.allowPrivilegeEscalation, file).toBe(false);
        expect(container.securityContext?.readOnlyRootFilesystem, file).toBe(true);
        expect(container.securityContext?.capabilities?.drop, file).toEqual(['ALL']);
        // tsx's compile cache and DuckDB's temporary files need a writable /tmp
        const tmp = container.volumeMounts?.find((mount) => mount.mountPath === '/tmp');
        expect(tmp, file).toBeDefined();
        expect(spec.volumes?.find((v) => v.name === tmp!.name)?.emptyDir, file).toBeDefined();
      }
    }
  });

  it('embed no secret: every credential comes from a Secret, and none is committed', () => {
    expect(manifests.filter((m) => m.object.kind === 'Secret')).toEqual([]);
    for (const key of Object.keys(configMap.data ?? {})) expect(key).not.toMatch(SECRET_NAME);
    for (const { file, object } of workloads) {
      for (const container of podSpec(object as IDeployment).containers) {
        for (const variable of container.env ?? []) {
          if (!SECRET_NAME.test(variable.name)) continue;
          expect(variable.value, `${file} ${variable.name}`).toBeUndefined();
          expect(variable.valueFrom?.secretKeyRef?.name, `${file} ${variable.name}`).toMatch(/^sluice-/);
        }
      }
    }
  });

  it('keep each side to its own secrets: the warehouse credentials only on executors, the state database only on the scheduler side', () => {
    const schedulerSide = ['sluice-api', 'sluice-scheduler'].map(deployment);
    const executors = ['sluice-run-executor', 'sluice-apply-executor'].map(deployment);
    const job = find<IJob>('Job', 'sluice-bootstrap-admin-token');
    for (const object of [...schedulerSide, job]) {
      const secrets = secretReferences(object);
      expect(secrets.has('sluice-warehouse'), object.metadata!.name).toBe(false);
      expect([...(secrets.get('sluice-state-db') ?? [])], object.metadata!.name).toEqual([
        'SLUICE_DATABASE_URL',
      ]);
    }
    expect([...(secretReferences(deployment('sluice-scheduler')).get('sluice-keys') ?? [])]).toEqual([
      'SLUICE_PAYLOAD_KEY',
    ]);
    for (const object of executors) {
      const secrets = secretReferences(object);
      expect(secrets.has('sluice-state-db'), object.metadata!.name).toBe(false);
      expect([...(secrets.get('sluice-warehouse') ?? [])], object.metadata!.name).toEqual(['(volume)']);
      expect([...(secrets.get('sluice-keys') ?? [])].sort()).toEqual([
        'SLUICE_ENCRYPTION_KEY',
        'SLUICE_PAYLOAD_KEY',
      ]);
    }
    // every process encrypts Temporal payloads, so the key is required wherever it is read
    for (const { object } of workloads) {
      const payload = onlyContainer(object as IDeployment).env?.find((v) => v.name === 'SLUICE_PAYLOAD_KEY');
      expect(payload?.valueFrom?.secretKeyRef?.optional ?? false).toBe(false);
    }
  });

  describe.each([
    ['sluice-run-executor', 'run'],
    ['sluice-apply-executor', 'apply'],
  ])('%s', (name, role) => {
    const executor = () => deployment(name);
    const container = () => onlyContainer(executor());

    it(`runs \`sluice worker --role ${role}\` with the shared settings`, () => {
      expect(container().args).toEqual(['worker', '--role', role]);
      expect(container().envFrom?.map((source) => source.configMapRef?.name)).toEqual(['sluice-config']);
    });

    it('is probed for liveness on /healthz and readiness on /readyz, port 9090', () => {
      expect(configMap.data?.SLUICE_HEALTH_PORT).toBe('9090');
      expect(container().ports?.map((p) => p.containerPort)).toContain(9090);
      expect(container().livenessProbe?.httpGet).toMatchObject({ path: '/healthz', port: 9090 });
      expect(container().readinessProbe?.httpGet).toMatchObject({ path: '/readyz', port: 9090 });
    });

    it('requests 1 CPU and 2Gi, with limits, and caps its own memory below the limit', () => {
      const { requests, limits } = container().resources ?? {};
      expect(cores(requests?.cpu)).toBe(1);
      expect(mebibytes(requests?.memory)).toBe(2048);
      expect(cores(limits?.cpu)).toBeGreaterThanOrEqual(1);
      expect(mebibytes(limits?.memory)).toBeGreaterThanOrEqual(2048);
      const cap = container().env?.find((v) => v.name === 'SLUICE_MAX_MEMORY_MB')?.value;
      expect(Number(cap)).toBeGreaterThan(0);
      expect(Number(cap)).toBeLessThan(mebibytes(limits?.memory));
    });

    it('reads its warehouse credentials from a mounted Secret file that follows updates', () => {
      const envFile = container().env?.find((v) => v.name === 'SLUICE_ENV_FILE')?.value ?? '';
      const mount = container().volumeMounts?.find((m) => envFile.startsWith(`${m.mountPath}/`));
      expect(mount, `a volume mounted above ${envFile}`).toBeDefined();
      expect(mount!.readOnly).toBe(true);
      // a subPath mount never sees the Secret change
      expect(mount!.subPath).toBeUndefined();
      const volume = podSpec(executor()).volumes?.find((v) => v.name === mount!.name);
      expect(volume?.secret?.secretName).toBe('sluice-warehouse');
      expect(envFile.slice(mount!.mountPath.length + 1)).toBe('warehouse.env');
      expect(podSpec(executor()).terminationGracePeriodSeconds).toBeGreaterThan(30);
    });
  });

  it('serves the API on 0.0.0.0:8787 behind a Service, ready when /api/health answers', () => {
    const api = deployment('sluice-api');
    const container = onlyContainer(api);
    const env = (name: string) => container.env?.find((v) => v.name === name)?.value;
    expect(container.args).toEqual(['api']);
    expect(env('SLUICE_API_HOST')).toBe('0.0.0.0');
    expect(env('SLUICE_API_PORT')).toBe('8787');
    expect(env('SLUICE_API_AUTH')).toBe('tokens');
    const http = container.ports?.find((p) => p.name === 'http');
    expect(http?.containerPort).toBe(8787);
    expect(container.readinessProbe?.httpGet).toMatchObject({ path: '/api/health', port: 'http' });
    const service = find<IService>('Service', 'sluice-api');
    expect(service.spec?.ports).toEqual([{ name: 'http', port: 8787, targetPort: 'http', protocol: 'TCP' }]);
  });

  it('makes the first admin token with the bootstrap script, with the API’s own settings', () => {
    const job = find<IJob>('Job', 'sluice-bootstrap-admin-token');
    const container = onlyContainer(job);
    expect(container.command).toEqual(['sh', 'deploy/bootstrap-admin-token.sh']);
    expect(podSpec(job).restartPolicy).toBe('Never');
    const names = (object: IDeployment | IJob) => (onlyContainer(object).env ?? []).map((v) => v.name);
    const apiSecrets = names(deployment('sluice-api')).filter((n) => SECRET_NAME.test(n));
    expect(
      names(job)
        .filter((n) => SECRET_NAME.test(n))
        .sort(),
    ).toEqual(apiSecrets.sort());
  });
});
