import { expect, test } from '@playwright/test';
import { connectSandbox, SandboxFixtures } from '@tenancy/sandbox';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { personaToken, runTemplateTask } from './helpers';

/**
 * Template publishing (issue #17, acceptance 3): the platform team runs "New
 * software template"; the repository it makes passes its own CI check
 * command (`npm run check`: the portal's template checks against the
 * portal, with the CI token of app-config.e2e.yaml), and a broken template
 * makes the same command fail at file:line:col. The template it holds is in
 * the catalog.
 */

let sandbox: SandboxFixtures;
test.beforeAll(() => {
  sandbox = connectSandbox();
});
test.afterAll(async () => {
  await sandbox.cleanup();
});

/** The checks CLI, as installing @tenancy/template-checks puts it on PATH. */
const CHECKS_BIN = path.resolve(__dirname, '../../template-checks/bin');
/** The static token app-config.e2e.yaml gives a template repository's CI. */
const CI_TOKEN = 'e2e-template-checks-token-not-a-secret';

function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<{ code: number; output: string }> {
  return new Promise(resolve => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
        timeout: 180_000,
      },
      (error, stdout, stderr) => {
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          output: `${stdout}${stderr}`,
        });
      },
    );
  });
}

test('a repository from "New software template" passes its own CI check command; a broken template fails it at file:line:col', async ({
  request,
  baseURL,
}) => {
  test.setTimeout(420_000);
  const git = sandbox.git();
  const name = sandbox.uniqueName('tpl');
  sandbox.trackRepo('platform-team', name);
  const token = await personaToken(request, 'pat');
  await runTemplateTask(
    request,
    token,
    'template:default/new-software-template',
    {
      name,
      title: `Probe template ${name}`,
      description: 'Onboards a namespace: made by the e2e test',
      owner: 'group:default/platform-team',
      repoUrl: `${git.host}?owner=platform-team&repo=${name}`,
    },
  );

  // The repository, as CI checks it out.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenancy-template-repo-'));
  const remote = new URL(`${git.url}/platform-team/${name}.git`);
  remote.username = git.user;
  remote.password = git.token;
  const clone = await run('git', ['clone', '--quiet', remote.toString(), dir], {
    cwd: os.tmpdir(),
  });
  expect(clone.code, clone.output).toBe(0);
  for (const file of [
    'template.yaml',
    'check-values.yaml',
    'catalog-info.yaml',
    'CHANGELOG.md',
    '.github/workflows/check-template.yaml',
  ]) {
    expect(fs.existsSync(path.join(dir, file)), file).toBe(true);
  }
  const pkg = JSON.parse(
    fs.readFileSync(path.join(dir, 'package.json'), 'utf8'),
  );
  expect(pkg.scripts.check).toBe(
    'tenancy-template-checks --portal "$BACKSTAGE_URL" .',
  );
  const workflow = fs.readFileSync(
    path.join(dir, '.github/workflows/check-template.yaml'),
    'utf8',
  );
  expect(workflow).toContain('run: npm run check');
  expect(workflow).toContain("'${{ secrets.BACKSTAGE_TOKEN }}'");

  // Its CI command, as the workflow runs it.
  const env = {
    PATH: [CHECKS_BIN, path.dirname(process.execPath), process.env.PATH].join(
      path.delimiter,
    ),
    BACKSTAGE_URL: baseURL!,
    BACKSTAGE_TOKEN: CI_TOKEN,
    NO_COLOR: '1',
  };
  const passed = await run('npm', ['run', '--silent', 'check'], {
    cwd: dir,
    env,
  });
  expect(passed.output).toContain(`✔ ${name} template.yaml`);
  expect(passed.output).toContain('✔ dry run succeeds');
  expect(passed.code).toBe(0);

  // A typo in a parameter reference: the same command fails, pointing at it.
  const file = path.join(dir, 'template.yaml');
  const broken = fs
    .readFileSync(file, 'utf8')
    .replace('parameters.namespace }}', 'parameters.nmspace }}');
  fs.writeFileSync(file, broken);
  const line =
    broken.split('\n').findIndex(l => l.includes('parameters.nmspace')) + 1;
  const failed = await run('npm', ['run', '--silent', 'check'], {
    cwd: dir,
    env,
  });
  expect(failed.output).toMatch(
    new RegExp(
      `^template\\.yaml:${line}:\\d+: parameters\\.nmspace is not a parameter of this template`,
      'm',
    ),
  );
  expect(failed.code).toBe(1);

  // Without the token, the portal refuses, and the command says so.
  const refused = await run('npm', ['run', '--silent', 'check'], {
    cwd: dir,
    env: { ...env, BACKSTAGE_TOKEN: 'not-the-token' },
  });
  expect(refused.output).toMatch(
    /answered GET \/api\/scaffolder\/v2\/actions with 401/,
  );
  expect(refused.code).toBe(2);

  // Registered: the template it holds is in the catalog.
  await expect
    .poll(
      async () =>
        (
          await request.get(
            `/api/catalog/entities/by-name/template/default/${name}`,
            { headers: { authorization: `Bearer ${token}` } },
          )
        ).status(),
      { message: `template ${name} in the catalog`, timeout: 120_000 },
    )
    .toBe(200);
  fs.rmSync(dir, { recursive: true, force: true });

  // Unregistered again: the repository goes with the sandbox's cleanup.
  const locations: Array<{ data: { id: string; target: string } }> = await (
    await request.get('/api/catalog/locations', {
      headers: { authorization: `Bearer ${token}` },
    })
  ).json();
  for (const { data } of locations.filter(l =>
    l.data.target.includes(`/platform-team/${name}/`),
  )) {
    await request.delete(`/api/catalog/locations/${data.id}`, {
      headers: { authorization: `Bearer ${token}` },
    });
  }
});

test('only the platform team publishes templates: anyone else’s run of "New software template" has no steps and makes nothing', async ({
  request,
}) => {
  test.setTimeout(180_000);
  const git = sandbox.git();
  const name = sandbox.uniqueName('tpl-alice');
  sandbox.trackRepo('platform-team', name);
  // alice is in team-payments, not the platform team: the shipped policy
  // hides the template's parameters and steps tagged `platform` from her.
  const token = await personaToken(request, 'alice');
  const headers = { authorization: `Bearer ${token}` };
  const schema = await (
    await request.get(
      '/api/scaffolder/v2/templates/default/template/new-software-template/parameter-schema',
      { headers },
    )
  ).json();
  expect(schema.steps).toEqual([]);
  const id = await runTemplateTask(
    request,
    token,
    'template:default/new-software-template',
    {
      name,
      title: 'Not the platform team',
      description: 'Made by the e2e test as alice',
      owner: 'group:default/team-payments',
      repoUrl: `${git.host}?owner=platform-team&repo=${name}`,
    },
  );
  const task = await (
    await request.get(`/api/scaffolder/v2/tasks/${id}`, { headers })
  ).json();
  expect(task.spec.steps).toEqual([]);
  const events: Array<{ type: string; body: any }> = await (
    await request.get(`/api/scaffolder/v2/tasks/${id}/events`, { headers })
  ).json();
  const completion = events.find(e => e.type === 'completion');
  expect(completion?.body.output.text[0].content).toBe(
    "Nothing was done: publishing templates is the platform team's (tenancy.platformTeams).",
  );
  // No repository in the platform team's organization, nothing registered.
  expect((await git.api(`/repos/platform-team/${name}`)).status).toBe(404);
  expect(
    (
      await request.get(
        `/api/catalog/entities/by-name/location/default/${name}`,
        { headers },
      )
    ).status(),
  ).toBe(404);
});
