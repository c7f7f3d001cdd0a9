import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { gitCredentialsFile } from './gitea';
import { connectSandbox, GIT_ORGS, SandboxFixtures } from './index';
import { packageRoot, stateDir } from './paths';
import { versions } from './versions';

jest.setTimeout(60_000);

let sandbox: SandboxFixtures;
let workDirs: string[] = [];
beforeAll(() => {
  sandbox = connectSandbox();
});
afterEach(async () => {
  await sandbox.cleanup();
  for (const dir of workDirs) fs.rmSync(dir, { recursive: true, force: true });
  workDirs = [];
});

function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-git-'));
  workDirs.push(dir);
  return dir;
}

/**
 * Plain `git`, isolated from the machine's and the user's git config. With
 * `credentials`, a credential helper answers with them from the environment:
 * the token is never on a command line or in a URL.
 */
function git(
  cwd: string,
  args: string[],
  credentials?: { user: string; token: string },
): Promise<string> {
  const helper = credentials
    ? [
        '-c',
        'credential.helper=',
        '-c',
        'credential.helper=!f() { test "$1" = get && printf "username=%s\\npassword=%s\\n" "$SANDBOX_GIT_USER" "$SANDBOX_GIT_TOKEN"; }; f',
      ]
    : ['-c', 'credential.helper='];
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [
        ...helper,
        '-c',
        'user.name=Sandbox Test',
        '-c',
        'user.email=test@sandbox.local',
        '-c',
        'init.defaultBranch=main',
        ...args,
      ],
      {
        cwd,
        timeout: 30_000,
        env: {
          PATH: process.env.PATH,
          HOME: cwd,
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_TERMINAL_PROMPT: '0',
          SANDBOX_GIT_USER: credentials?.user ?? '',
          SANDBOX_GIT_TOKEN: credentials?.token ?? '',
        },
      },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`git ${args[0]} failed: ${stderr || stdout}`))
          : resolve(stdout),
    );
  });
}

describe('git host (Gitea)', () => {
  it('answers /api/v1/version with the pinned version, on 127.0.0.1', async () => {
    const gitea = sandbox.git();
    expect(gitea.url).toBe(`http://${gitea.host}`);
    expect(gitea.host).toMatch(/^127\.0\.0\.1:\d+$/);
    const { status, json } = await gitea.api('/version', { token: null });
    expect(status).toBe(200);
    expect(`v${json.version}`).toBe(versions.gitea);
    expect(sandbox.state.git.version).toBe(versions.gitea);
  });

  it('has an organization for every seeded team', async () => {
    const groups = YAML.parseAllDocuments(
      fs.readFileSync(path.join(packageRoot, 'catalog', 'seed.yaml'), 'utf8'),
    )
      .map(d => d.toJSON())
      .filter(e => e?.kind === 'Group')
      .map(e => e.metadata.name);
    expect([...GIT_ORGS].sort()).toEqual(
      ['platform-team', 'team-checkout', 'team-payments', 'team-search'].sort(),
    );
    for (const org of GIT_ORGS) expect(groups).toContain(org);

    const gitea = sandbox.git();
    expect(gitea.orgs).toEqual(GIT_ORGS);
    for (const org of GIT_ORGS) {
      const { status, json } = await gitea.api(`/orgs/${org}`);
      expect({ org, status }).toEqual({ org, status: 200 });
      expect(json.username).toBe(org);
    }
  });

  it("creates a repository in a team's org with the portal's token, takes a push over HTTP with plain git, and serves the commit back through the API", async () => {
    const gitea = sandbox.git();
    const repo = await sandbox.createRepo('team-payments', { private: true });
    expect(repo.cloneUrl).toBe(`${gitea.url}/team-payments/${repo.name}.git`);

    const dir = tempDir();
    await git(dir, ['init', '-q', 'work']);
    const work = path.join(dir, 'work');
    fs.writeFileSync(path.join(work, 'README.md'), '# hello from a test\n');
    await git(work, ['add', 'README.md']);
    await git(work, ['commit', '-q', '-m', 'first commit']);
    const sha = (await git(work, ['rev-parse', 'HEAD'])).trim();
    await git(work, ['push', '-q', repo.cloneUrl, 'main'], {
      user: gitea.user,
      token: gitea.token,
    });

    const commit = await gitea.api(
      `/repos/team-payments/${repo.name}/git/commits/main`,
    );
    expect(commit.status).toBe(200);
    expect(commit.json.sha).toBe(sha);
    expect(commit.json.commit.message.trim()).toBe('first commit');

    // Gitea handles a push to an empty repository in a queue: until then the
    // repository is still "empty" and the contents API answers 500 (as a
    // catalog read right after publish:gitea would see). Give it a moment.
    let file = await gitea.api(
      `/repos/team-payments/${repo.name}/contents/README.md?ref=main`,
    );
    for (let i = 0; i < 50 && file.status !== 200; i++) {
      await new Promise(resolve => setTimeout(resolve, 200));
      file = await gitea.api(
        `/repos/team-payments/${repo.name}/contents/README.md?ref=main`,
      );
    }
    expect(file.status).toBe(200);
    expect(Buffer.from(file.json.content, 'base64').toString()).toBe(
      '# hello from a test\n',
    );

    // and plain git reads it back with the same credentials
    await git(dir, ['clone', '-q', repo.cloneUrl, 'clone'], {
      user: gitea.user,
      token: gitea.token,
    });
    expect(fs.readFileSync(path.join(dir, 'clone', 'README.md'), 'utf8')).toBe(
      '# hello from a test\n',
    );
  });

  it("does not show an org's private repository to anyone without a token", async () => {
    const gitea = sandbox.git();
    const repo = await sandbox.createRepo('team-search', {
      private: true,
      autoInit: true,
    });
    expect((await gitea.api(`/repos/team-search/${repo.name}`)).status).toBe(
      200,
    );

    expect(
      (await gitea.api(`/repos/team-search/${repo.name}`, { token: null }))
        .status,
    ).toBe(404);
    expect(
      (
        await gitea.api(
          `/repos/team-search/${repo.name}/contents/README.md?ref=main`,
          { token: null },
        )
      ).status,
    ).toBe(404);
    expect(
      (
        await gitea.api(`/repos/team-search/${repo.name}`, {
          token: 'f'.repeat(40),
        })
      ).status,
    ).toBe(401);
    expect((await fetch(`${repo.htmlUrl}/src/branch/main`)).status).toBe(404);
    await expect(git(tempDir(), ['ls-remote', repo.cloneUrl])).rejects.toThrow(
      /Authentication failed|could not read Username|401/,
    );
  });

  it('serves the web page publish:gitea polls after pushing (public repo, no credentials)', async () => {
    const repo = await sandbox.createRepo('team-checkout', { autoInit: true });
    const page = await fetch(`${repo.htmlUrl}/src/branch/main`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(repo.name);
  });

  it("gives the portal's token only the scopes it needs", async () => {
    const gitea = sandbox.git();
    const me = await gitea.api('/user');
    expect(me.status).toBe(200);
    expect(me.json.login).toBe(gitea.user);
    // site administration is outside write:organization/repository/user
    expect((await gitea.api('/admin/users')).status).toBe(403);
  });

  it('writes the Gitea integration into the portal overlay and keeps the token out of state.json', () => {
    const gitea = sandbox.git();
    const overlay = YAML.parse(fs.readFileSync(sandbox.state.overlay, 'utf8'));
    expect(overlay.integrations.gitea).toEqual([
      {
        host: gitea.host,
        baseUrl: gitea.url,
        username: gitea.user,
        password: gitea.token,
      },
    ]);
    expect(overlay.backend.reading.allow).toContainEqual({ host: gitea.host });

    const stateJson = fs.readFileSync(
      path.join(stateDir(), 'state.json'),
      'utf8',
    );
    expect(stateJson).not.toContain(gitea.token);
    const mode = (file: string) => fs.statSync(file).mode & 0o777;
    expect(mode(gitCredentialsFile(stateDir()))).toBe(0o600);
    expect(mode(sandbox.state.overlay)).toBe(0o600);
    expect(mode(path.join(stateDir(), 'gitea', 'app.ini'))).toBe(0o600);
  });
});
