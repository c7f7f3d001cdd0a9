import {
  AppsV1Api,
  CoreV1Api,
  NetworkingV1Api,
  RbacAuthorizationV1Api,
} from '@kubernetes/client-node';
import { expect, Page, test } from '@playwright/test';
import { openTemplate, screenshot, signInAsGuest } from './helpers';
import { connectSandbox, SandboxFixtures } from '@tenancy/sandbox';

/**
 * "Create service" end to end (templates/create-service): a developer on
 * team-payments (the guest is a member in the sandbox's seed) fills the form
 * in Chromium and runs it; afterwards the repository, the namespaces and the
 * catalog entry are checked through Gitea's API, the clusters and the
 * catalog API — not the UI alone. Then the same name again: the run fails at
 * the repository step and nothing on the clusters changes.
 */

// Dev is sandbox-a; prod is sandbox-b and sandbox-c (packages/sandbox).
const DEV = ['sandbox-a'];
const NOT_DEV = ['sandbox-b', 'sandbox-c'];

let sandbox: SandboxFixtures;
test.beforeAll(() => {
  sandbox = connectSandbox();
});
test.afterAll(async () => {
  await sandbox.cleanup();
});

test.beforeEach(async ({ page }) => {
  await signInAsGuest(page);
});

/** Opens Create → Create service and fills every page; returns on the review page. */
async function fillCreateServiceForm(
  page: Page,
  options: { name: string; description: string; gitHost: string },
) {
  await openTemplate(page, 'Create service');

  // Page 1: the service.
  await page.getByRole('textbox', { name: /^Name/ }).fill(options.name);
  await page
    .getByRole('textbox', { name: /^Description/ })
    .fill(options.description);
  await page.getByRole('combobox', { name: 'Owning team' }).click();
  await page.getByRole('option', { name: 'Payments', exact: true }).click();
  await screenshot(page, 'create-service-form');
  await page.getByRole('button', { name: 'Next' }).click();

  // Page 2: where it runs. The environment is the person's choice; the size
  // picker chooses small, the platform's default.
  await page.getByRole('radio', { name: /^dev/ }).check();
  await expect(page.getByRole('radio', { name: /^small/ })).toBeChecked();
  await page.getByRole('button', { name: 'Next' }).click();

  // Page 3: the repository on the sandbox's Gitea, owned by the team's org.
  // The host picker is a native select of the template's allowedHosts.
  await page
    .getByRole('combobox')
    .filter({ has: page.getByRole('option', { name: 'github.com' }) })
    .selectOption(options.gitHost);
  // Owner and Repository are free-text autocompletes: typed, then committed.
  for (const [field, value] of [
    ['Owner', 'team-payments'],
    ['Repository', options.name],
  ]) {
    const input = page.getByRole('textbox', { name: field, exact: true });
    await input.pressSequentially(value);
    await input.press('Enter');
  }
  await screenshot(page, 'create-service-form-repository');
  await page.getByRole('button', { name: 'Review' }).click();
  await expect(page.getByText(options.name).first()).toBeVisible();
}

/** The namespace does not exist on any of these clusters. */
async function expectNoNamespace(clusters: string[], name: string) {
  for (const clusterName of clusters) {
    const core = sandbox
      .cluster(clusterName)
      .kubeConfig('admin')
      .makeApiClient(CoreV1Api);
    await expect(core.readNamespace({ name })).rejects.toMatchObject({
      code: 404,
    });
  }
}

/** resourceVersions of the namespace and its quota on the dev clusters. */
async function namespaceVersions(name: string) {
  return Promise.all(
    DEV.map(async clusterName => {
      const core = sandbox
        .cluster(clusterName)
        .kubeConfig('admin')
        .makeApiClient(CoreV1Api);
      const ns = await core.readNamespace({ name });
      const quota = await core.listNamespacedResourceQuota({ namespace: name });
      return [
        ns.metadata?.resourceVersion,
        quota.items[0]?.metadata?.resourceVersion,
      ];
    }),
  );
}

/** The task failed at the repository step, and no later step ran. */
async function expectFailedAtRepositoryStep(page: Page) {
  await expect(
    page.getByText(/Unable to create repository, 409 Conflict/).first(),
  ).toBeVisible();
  for (const step of ['onboard', 'register-github', 'register-gitea']) {
    await expect(
      page.getByText(`Skipping step ${step} because a previous step failed`),
    ).toBeVisible();
  }
}

/** The guest's own Backstage token, as the app gets it after sign-in. */
async function catalogToken(page: Page, baseURL: string): Promise<string> {
  const res = await page.request.get(`${baseURL}/api/auth/guest/refresh`, {
    headers: { 'x-requested-with': 'XMLHttpRequest' },
  });
  expect(res.status()).toBe(200);
  const token = (await res.json()).backstageIdentity?.token;
  expect(token).toEqual(expect.any(String));
  return `Bearer ${token}`;
}

test('Create service makes the repository, the namespace on the dev cluster and the catalog entry; the same name again fails at the repository step', async ({
  page,
  baseURL,
}) => {
  test.setTimeout(360_000);
  const git = sandbox.git();
  const name = sandbox.uniqueName('svc');
  const description = `Orders API for the e2e test ${name}`;
  sandbox.trackRepo('team-payments', name);
  for (const cluster of DEV) {
    sandbox.deleteNamespaceOnCleanup(sandbox.cluster(cluster), name);
  }

  await fillCreateServiceForm(page, { name, description, gitHost: git.host });
  const startedAt = Date.now();
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/create\/tasks\/[^/]+$/);
  const taskUrl = page.url();
  // The task ends with its output links.
  await expect(page.getByRole('link', { name: 'Open in catalog' })).toBeVisible(
    { timeout: 180_000 },
  );
  const taskMs = Date.now() - startedAt;
  // eslint-disable-next-line no-console
  console.log(`[e2e] Create service task finished in ${taskMs} ms`);
  await expect(page.getByRole('link', { name: 'Repository' })).toBeVisible();
  await screenshot(page, 'create-service-task');

  // The repository: private, in the team's org, with the rendered skeleton.
  const repo = await git.api(`/repos/team-payments/${name}`);
  expect(repo.status).toBe(200);
  expect(repo.json).toMatchObject({
    name,
    private: true,
    description,
    default_branch: 'main',
  });
  const file = async (filePath: string) => {
    const res = await git.api(
      `/repos/team-payments/${name}/contents/${filePath}?ref=main`,
    );
    expect({ filePath, status: res.status }).toEqual({ filePath, status: 200 });
    return Buffer.from(res.json.content, 'base64').toString('utf8');
  };
  expect(JSON.parse(await file('package.json'))).toMatchObject({
    name,
    scripts: { test: 'node --test' },
  });
  expect(await file('catalog-info.yaml')).toContain(
    `backstage.io/kubernetes-id: '${name}'`,
  );
  const deployment = await file('kubernetes/deployment.yaml');
  expect(deployment).toContain(`namespace: '${name}'`);
  expect(deployment).not.toMatch(/\$\{\{/);
  for (const skeletonFile of [
    'src/app.ts',
    'src/app.test.ts',
    'Dockerfile',
    '.github/workflows/ci.yaml',
    'mkdocs.yml',
    'docs/index.md',
  ]) {
    await file(skeletonFile);
  }

  // The namespace with the tenant baseline on the dev cluster, and only there.
  for (const clusterName of DEV) {
    const kc = sandbox.cluster(clusterName).kubeConfig('admin');
    const ns = await kc.makeApiClient(CoreV1Api).readNamespace({ name });
    expect(ns.metadata?.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'tenancy',
      'pod-security.kubernetes.io/enforce': 'restricted',
    });
    const core = kc.makeApiClient(CoreV1Api);
    const quota = await core.listNamespacedResourceQuota({ namespace: name });
    expect(quota.items[0]?.spec?.hard).toMatchObject({
      'requests.cpu': '2',
      pods: '20',
    });
    const limits = await core.listNamespacedLimitRange({ namespace: name });
    expect(limits.items).toHaveLength(1);
    const policies = await kc
      .makeApiClient(NetworkingV1Api)
      .listNamespacedNetworkPolicy({ namespace: name });
    expect(policies.items.length).toBeGreaterThan(0);
    const bindings = await kc
      .makeApiClient(RbacAuthorizationV1Api)
      .listNamespacedRoleBinding({ namespace: name });
    expect(
      bindings.items.flatMap(b => b.subjects?.map(s => s.name) ?? []),
    ).toEqual(expect.arrayContaining(['team-payments', 'deployer']));
    await core.readNamespacedServiceAccount({
      name: 'deployer',
      namespace: name,
    });
    // Nothing is deployed yet: the developer's CI does that.
    const deployments = await kc
      .makeApiClient(AppsV1Api)
      .listNamespacedDeployment({ namespace: name });
    expect(deployments.items).toEqual([]);
  }
  await expectNoNamespace(NOT_DEV, name);

  // The catalog entry, through the catalog API with the guest's own token.
  const authorization = await catalogToken(page, baseURL!);
  // catalog:register adds the location; the catalog stores the entity once
  // its processing loop has been through it (seconds).
  const entityUrl = `${baseURL}/api/catalog/entities/by-name/component/default/${name}`;
  await expect
    .poll(
      async () =>
        (
          await page.request.get(entityUrl, { headers: { authorization } })
        ).status(),
      { timeout: 60_000 },
    )
    .toBe(200);
  const entity = await (
    await page.request.get(entityUrl, { headers: { authorization } })
  ).json();
  expect(entity).toMatchObject({
    kind: 'Component',
    metadata: {
      name,
      description,
      annotations: {
        'backstage.io/kubernetes-id': name,
        'backstage.io/kubernetes-namespace': name,
        'backstage.io/managed-by-location': expect.stringContaining(
          `${git.url}/team-payments/${name}/`,
        ),
      },
    },
    spec: { owner: 'group:default/team-payments', type: 'service' },
  });
  expect(entity.relations).toEqual(
    expect.arrayContaining([
      { type: 'ownedBy', targetRef: 'group:default/team-payments' },
    ]),
  );

  // The new entity's page.
  await page.goto(taskUrl);
  await page.getByRole('link', { name: 'Open in catalog' }).click();
  await expect(page).toHaveURL(
    new RegExp(`/catalog/default/component/${name}`),
  );
  await expect(page.getByRole('heading', { name }).first()).toBeVisible();
  await expect(page.getByText(description).first()).toBeVisible();
  await expect(
    page.getByRole('link', { name: /team-payments|Payments/ }).first(),
  ).toBeVisible();
  await screenshot(page, 'create-service-entity');

  // Its TechDocs: the portal builds them from the new repository's docs/
  // with the sandbox's mkdocs on the first visit.
  await page.getByRole('link', { name: 'TechDocs', exact: true }).click();
  await expect(
    page.getByRole('heading', { name: 'Run it locally' }),
  ).toBeVisible({ timeout: 120_000 });
  // The reader shows a progress bar while it checks for a newer build.
  await expect(page.getByRole('progressbar')).toHaveCount(0, {
    timeout: 60_000,
  });
  // The viewport: the reader's page is taller than what it paints.
  await screenshot(page, 'create-service-techdocs', false);

  // The same name again: fails at the repository step; the namespace is
  // left exactly as it was and the catalog still has one such entity.
  const before = await namespaceVersions(name);
  await fillCreateServiceForm(page, { name, description, gitHost: git.host });
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/create\/tasks\/[^/]+$/);
  await expect(page.getByText(/already exists/).first()).toBeVisible({
    timeout: 120_000,
  });
  await expectFailedAtRepositoryStep(page);
  await screenshot(page, 'create-service-rerun-failed');
  const after = await namespaceVersions(name);
  expect(after).toEqual(before);
  const list = await page.request.get(
    `${baseURL}/api/catalog/entities/by-query?filter=kind=component,metadata.name=${name}`,
    { headers: { authorization } },
  );
  expect((await list.json()).items).toHaveLength(1);

  // Unregister it (its repository is deleted after the test), so that runs
  // against ./run start's portal leave no location to a missing repository.
  const target = entity.metadata.annotations[
    'backstage.io/managed-by-location'
  ].replace(/^url:/, '');
  const locations = await (
    await page.request.get(`${baseURL}/api/catalog/locations`, {
      headers: { authorization },
    })
  ).json();
  const location = locations
    .map((l: { data: { id: string; target: string } }) => l.data)
    .find((l: { target: string }) => l.target === target);
  expect(location?.target).toBe(target);
  const removed = await page.request.delete(
    `${baseURL}/api/catalog/locations/${location.id}`,
    { headers: { authorization } },
  );
  expect(removed.status()).toBe(204);
});

test('Create service with a name whose repository already exists makes no namespace at all', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const git = sandbox.git();
  const name = sandbox.uniqueName('taken');
  // Someone already has a repository of that name in the team's org.
  await sandbox.createRepo('team-payments', { name });
  for (const cluster of DEV) {
    sandbox.deleteNamespaceOnCleanup(sandbox.cluster(cluster), name);
  }

  await fillCreateServiceForm(page, {
    name,
    description: 'A name that is taken',
    gitHost: git.host,
  });
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/create\/tasks\/[^/]+$/);
  await expect(page.getByText(/already exists/).first()).toBeVisible({
    timeout: 120_000,
  });
  await expectFailedAtRepositoryStep(page);
  await expectNoNamespace([...DEV, ...NOT_DEV], name);
});
