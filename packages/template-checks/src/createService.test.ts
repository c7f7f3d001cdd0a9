import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import {
  AppsV1Api,
  CoreV1Api,
  KubernetesObject,
  V1Deployment,
} from '@kubernetes/client-node';
import {
  applyAll,
  connectSandbox,
  kubeConfigFor,
  mkdocsPath,
  SandboxFixtures,
} from '@tenancy/sandbox';
import {
  applyTenantBaseline,
  parseTenantRef,
  readBaselineOptions,
  renderTenantBaseline,
} from '@tenancy/plugin-tenancy-node';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { CheckBackend } from './backend';
import { templateDirectoryContents } from './checks/dryRun';
import { repoRoot, sandboxConfig } from './run';
import { YamlSource } from './source';
import { sampleValues } from './values';

/**
 * The create-service template's skeleton is itself a good service: rendered
 * by the scaffolder's own dry run (so with exactly the values the template
 * computes), its own tests and type check pass, and its Kubernetes manifests,
 * applied by the namespace's deploy identity, are admitted by a sandbox
 * cluster under the tenant baseline (restricted Pod Security, LimitRange,
 * the small quota) and become ready.
 */

jest.setTimeout(240_000);

const templateFile = path.join(
  repoRoot,
  'templates/create-service/template.yaml',
);
const renderRoot = path.join(repoRoot, 'var/rendered-skeletons');

let backend: CheckBackend;
let sandbox: SandboxFixtures;
let backendConfig: JsonObject;
let rendered: string;
const name = `skeleton-${Date.now().toString(36)}`;

beforeAll(async () => {
  const overlay = await sandboxConfig();
  if (!overlay) {
    throw new Error(
      'These tests need the sandbox: run `yarn sandbox up` (the test command starts one).',
    );
  }
  backendConfig = overlay.config;
  sandbox = connectSandbox();
  backend = await CheckBackend.start({ config: backendConfig });

  const source = YamlSource.read(templateFile);
  // check-values.yaml, then the parameters' defaults, as the checks use.
  const sample = sampleValues(source);
  if (sample.findings.length) {
    throw new Error(
      `No sample input: ${sample.findings.map(f => f.message).join('; ')}`,
    );
  }
  const response = await backend.dryRun({
    template: source.value() as JsonObject,
    values: { ...sample.values, name },
    directoryContents: await templateDirectoryContents(templateFile),
  });
  if (response.status !== 200) {
    throw new Error(
      `The dry run failed: ${response.status} ${JSON.stringify(response.body)}`,
    );
  }
  // Inside the repository, so that TypeScript finds @types/node in its
  // node_modules as it would after `npm install` in the new repository.
  rendered = path.join(renderRoot, name);
  fs.rmSync(rendered, { recursive: true, force: true });
  for (const file of response.body.directoryContents as Array<{
    path: string;
    base64Content: string;
    executable?: boolean;
  }>) {
    const target = path.join(rendered, file.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, Buffer.from(file.base64Content, 'base64'), {
      mode: file.executable ? 0o755 : 0o644,
    });
  }
});

afterAll(async () => {
  if (rendered) fs.rmSync(rendered, { recursive: true, force: true });
  try {
    await backend?.stop();
  } finally {
    await sandbox?.cleanup();
  }
});

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, {
    cwd: rendered,
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'test', NODE_OPTIONS: '' },
    timeout: 120_000,
  });
  return {
    status: result.status,
    output: `${result.stdout}\n${result.stderr}`,
  };
}

describe('the rendered create-service skeleton', () => {
  it('is a complete repository: source, tests, Dockerfile, manifests, CI, catalog entry and docs', () => {
    const files = fs
      .readdirSync(rendered, { recursive: true, encoding: 'utf8' })
      .filter(f => fs.statSync(path.join(rendered, f)).isFile())
      .sort();
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'tsconfig.json',
        'src/app.ts',
        'src/app.test.ts',
        'src/server.ts',
        'Dockerfile',
        'kubernetes/deployment.yaml',
        'kubernetes/service.yaml',
        'kubernetes/kustomization.yaml',
        '.github/workflows/ci.yaml',
        'catalog-info.yaml',
        'mkdocs.yml',
        'docs/index.md',
      ]),
    );
    // Nothing is left unrendered; GitHub Actions' own `${{ github.… }}` and
    // `${{ secrets.… }}` expressions survive in the workflow.
    for (const file of files) {
      const text = fs
        .readFileSync(path.join(rendered, file), 'utf8')
        .replace(/\$\{\{ (github|secrets)\.[A-Za-z_.| ]+\}\}/g, '');
      expect({ file, unrendered: /\$\{\{|\{%|%\}/.test(text) }).toEqual({
        file,
        unrendered: false,
      });
    }

    const entity = YAML.parse(
      fs.readFileSync(path.join(rendered, 'catalog-info.yaml'), 'utf8'),
    );
    expect(entity).toMatchObject({
      kind: 'Component',
      metadata: {
        name,
        description:
          'A probe service: "quotes", # and : must survive the rendering',
        annotations: {
          'backstage.io/kubernetes-id': name,
          'backstage.io/kubernetes-namespace': name,
          'backstage.io/techdocs-ref': 'dir:.',
        },
      },
      spec: { type: 'service', owner: 'group:default/team-payments' },
    });
    const workflow = YAML.parse(
      fs.readFileSync(path.join(rendered, '.github/workflows/ci.yaml'), 'utf8'),
    );
    expect(JSON.stringify(workflow)).toContain('${{ github.ref }}');
  });

  it("passes its own tests (the package's `npm test`: node --test, no install needed)", () => {
    const pkg = JSON.parse(
      fs.readFileSync(path.join(rendered, 'package.json'), 'utf8'),
    );
    expect(pkg.name).toBe(name);
    expect(pkg.scripts.test).toBe('node --test');
    const result = run(process.execPath, ['--test']);
    // The test runner's summary, printed on failure too.
    expect({ status: result.status, output: result.output }).toEqual({
      status: 0,
      output: expect.stringMatching(/\bfail 0\b/),
    });
    expect(result.output).toMatch(/\bpass [1-9]\d*\b/);
  });

  it('type-checks (`npm run typecheck`)', () => {
    const tsc = require.resolve('typescript/bin/tsc');
    const result = run(process.execPath, [tsc, '--noEmit', '-p', '.']);
    expect({ status: result.status, output: result.output.trim() }).toEqual({
      status: 0,
      output: '',
    });
  });

  it('builds its TechDocs with mkdocs --strict (the generator the portal uses)', () => {
    const result = run(mkdocsPath(), [
      'build',
      '--strict',
      '--site-dir',
      path.join(rendered, '.site'),
    ]);
    expect({ status: result.status, output: result.output }).toEqual({
      status: 0,
      output: expect.stringContaining('Documentation built'),
    });
    const index = fs.readFileSync(
      path.join(rendered, '.site/index.html'),
      'utf8',
    );
    expect(index).toContain('Run it locally');
    // No third-party fonts: the portal waits for every stylesheet.
    expect(index).not.toContain('fonts.googleapis.com');
  });

  it("is admitted by a sandbox cluster under the tenant baseline, applied by the namespace's deploy identity, and becomes ready within the quota", async () => {
    const cluster = sandbox.cluster('sandbox-a');
    const admin = cluster.kubeConfig('admin');
    const tenant = parseTenantRef('group:default/team-payments');
    const baseline = readBaselineOptions(new ConfigReader(backendConfig));
    // What the template's onboarding step makes: restricted pods, small quota.
    const objects = renderTenantBaseline(
      {
        tenant,
        namespace: name,
        environment: 'dev',
        quota: baseline.quotaPresets.small,
        podSecurity: 'restricted',
      },
      baseline,
    );
    sandbox.deleteNamespaceOnCleanup(cluster, name);
    await applyTenantBaseline(admin, objects, { tenant, timeoutMs: 30_000 });

    // The deploy identity CI would use: the namespace's deployer ServiceAccount.
    const token = await admin
      .makeApiClient(CoreV1Api)
      .createNamespacedServiceAccountToken({
        name: baseline.deployServiceAccount,
        namespace: name,
        body: { spec: { audiences: [], expirationSeconds: 600 } },
      });
    const deployer = kubeConfigFor(cluster, 'deployer', token.status!.token!);
    const manifests = ['deployment.yaml', 'service.yaml'].flatMap(file =>
      YAML.parseAllDocuments(
        fs.readFileSync(path.join(rendered, 'kubernetes', file), 'utf8'),
      ).map(d => d.toJS() as KubernetesObject),
    );
    await applyAll(deployer, manifests, 'ci');

    const apps = admin.makeApiClient(AppsV1Api);
    const deadline = Date.now() + 120_000;
    let deployment: V1Deployment;
    for (;;) {
      deployment = await apps.readNamespacedDeployment({
        name,
        namespace: name,
      });
      if ((deployment.status?.readyReplicas ?? 0) >= 2) break;
      if (Date.now() > deadline) {
        const events = await admin
          .makeApiClient(CoreV1Api)
          .listNamespacedEvent({ namespace: name });
        throw new Error(
          `The Deployment did not become ready: ${JSON.stringify(
            deployment.status,
          )}; events: ${events.items.map(e => e.message).join(' | ')}`,
        );
      }
      await new Promise(resolve => setTimeout(resolve, 500));
    }
    expect(deployment.status).toMatchObject({ readyReplicas: 2, replicas: 2 });

    // The quota counts the two pods' requests and limits.
    const quota = await admin
      .makeApiClient(CoreV1Api)
      .readNamespacedResourceQuota({ name: 'tenant-quota', namespace: name });
    expect(quota.status?.used).toMatchObject({
      pods: '2',
      'requests.cpu': '200m',
      'requests.memory': '256Mi',
      'limits.cpu': '1',
      'limits.memory': '512Mi',
    });
  });
});
