import {
  DescribeAccountCommand,
  paginateListAccounts,
} from '@aws-sdk/client-organizations';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  createTestDatabase,
  TestDatabase,
  testDatabaseIds,
} from './__testUtils__/databases';
import {
  eventually,
  killAllPortals,
  PortalProcess,
} from './__testUtils__/portalProcess';
import {
  connectSandbox,
  portalConfigs,
  portalOverlay,
  readNamespace,
} from './__testUtils__/sandboxPortal';

/**
 * The suite's actions as MCP tools (issue #17), through a real MCP client
 * (the official TypeScript SDK) against the real portal — a backend process
 * on the sandbox with `@backstage/plugin-mcp-actions-backend`, the real
 * permission framework and the shipped policy — signed in as the sandbox's
 * personas: alice (team-payments), bob (team-search), pat (the platform
 * team). Nothing here mocks permissions or user info.
 */

jest.setTimeout(600_000);

const sandbox = connectSandbox();
const DEV = sandbox.state.clusters
  .filter(c => c.environment === 'dev')
  .map(c => c.name);

let database: TestDatabase;
let portal: PortalProcess;
const tokens: Record<string, string> = {};
const clients: Client[] = [];

/** An MCP session as `who`, over the portal's streamable HTTP endpoint. */
async function mcpAs(who: string): Promise<Client> {
  const client = new Client({ name: 'tenancy-mcp-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(
      new URL(`${portal.baseUrl}/api/mcp-actions/v1`),
      { requestInit: { headers: { authorization: `Bearer ${tokens[who]}` } } },
    ),
  );
  clients.push(client);
  return client;
}

type ToolResult = {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
  structuredContent?: any;
};

async function call(who: string, name: string, args: Record<string, unknown>) {
  const client = await mcpAs(who);
  return (await client.callTool({ name, arguments: args })) as ToolResult;
}

const textOf = (result: ToolResult) =>
  result.content.map(c => c.text ?? '').join('\n');

/**
 * Audit events of `who` the portal's log has recorded as failed for
 * `eventId` (the log is Backstage's coloured text format).
 */
function failedAudits(eventId: string, who: string): number {
  return portal
    .log()
    .split('\n')
    .filter(
      l =>
        /isAuditEvent/.test(l) &&
        new RegExp(`eventId\\S*="${eventId}"`).test(l) &&
        /status\S*="failed"/.test(l) &&
        // The actor of an event outside an HTTP request is the plugin; the
        // suite names the person as the initiator.
        l.includes(`"initiator":"user:default/${who}"`),
    ).length;
}

beforeAll(async () => {
  database = await createTestDatabase(testDatabaseIds()[0]);
  portal = await PortalProcess.start({
    name: 'mcp',
    configs: portalConfigs(sandbox),
    overlay: portalOverlay(sandbox),
    database: database.config,
  });
  for (const who of ['alice', 'bob', 'pat']) {
    tokens[who] = await portal.signIn(who);
  }
}, 600_000);

afterAll(async () => {
  await Promise.all(clients.map(c => c.close().catch(() => undefined)));
  await killAllPortals();
  await sandbox.cleanup();
  await database?.cleanup();
});

it('lists the suite’s tools with what each may do', async () => {
  const { tools } = await (await mcpAs('alice')).listTools();
  const byName = new Map(tools.map(t => [t.name, t]));
  for (const name of [
    'tenancy.list-team-namespaces',
    'tenancy.service-health',
    'tenancy.fleet',
    'scaffolder.tenancy-aws-account-request',
    'scaffolder.tenancy-aws-account-close',
  ]) {
    expect(byName.get(name)?.annotations).toMatchObject({
      readOnlyHint: true,
    });
  }
  expect(
    byName.get('scaffolder.tenancy-namespace-onboard')?.annotations,
  ).toMatchObject({
    readOnlyHint: false,
    destructiveHint: false,
  });
  expect(
    byName.get('scaffolder.tenancy-namespace-offboard')?.annotations,
  ).toMatchObject({
    destructiveHint: true,
  });
  expect(
    byName.get('scaffolder.tenancy-namespace-resize')?.annotations,
  ).toMatchObject({
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
  });
  // The input schemas come from the same config as the templates: the
  // onboarding tool names the configured quota presets.
  const onboard = byName.get('scaffolder.tenancy-namespace-onboard')!;
  expect(JSON.stringify(onboard.inputSchema)).toMatch(/Quota preset: small/);
  // eslint-disable-next-line no-console
  console.log(
    `[mcp] ${tools.length} tools, of them the suite's: ${[...byName.keys()]
      .filter(n => /^tenancy\.|^scaffolder\.tenancy-/.test(n))
      .join(', ')}`,
  );
});

it("answers a member with their team's namespaces and quota, and nothing of another team", async () => {
  const result = await call('alice', 'tenancy.list-team-namespaces', {});
  expect(result.isError).toBeFalsy();
  const { teams } = result.structuredContent;
  expect(teams.map((t: any) => t.team)).toEqual([
    'group:default/team-payments',
  ]);
  const payments = teams[0].namespaces.filter(
    (n: any) => n.namespace === 'payments',
  );
  expect(payments.map((n: any) => n.cluster).sort()).toEqual([
    'sandbox-a',
    'sandbox-b',
    'sandbox-c',
  ]);
  for (const ns of payments) {
    const pods = ns.quota.find((q: any) => q.resource === 'pods');
    expect(pods).toMatchObject({ hard: expect.any(String) });
    expect(Number(pods.used)).toBeGreaterThan(0);
  }
  expect(teams[0].namespaces.some((n: any) => n.namespace === 'search')).toBe(
    false,
  );

  const other = await call('alice', 'tenancy.list-team-namespaces', {
    team: 'group:default/team-search',
  });
  expect(other.isError).toBe(true);
  expect(textOf(other)).toMatch(
    /NotAllowedError: .*not a member of group:default\/team-search/,
  );
  expect(textOf(other)).not.toMatch(/sandbox-/);

  const malformed = await call('alice', 'tenancy.list-team-namespaces', {
    team: 'group:',
  });
  expect(malformed.isError).toBe(true);
  expect(textOf(malformed)).toMatch(
    /^InputError: "group:" is not an entity ref/,
  );
});

it('says why a crash-looping service is unhealthy: its pods, the last termination and the logs', async () => {
  const result = await call('bob', 'tenancy.service-health', {
    entityRef: 'component:default/search-indexer',
    logLines: 5,
  });
  expect(result.isError).toBeFalsy();
  const health = result.structuredContent;
  expect(health.state).toBe('failing');
  expect(health.unhealthyWorkloads.length).toBeGreaterThan(0);
  const containers = health.unhealthyWorkloads.flatMap((w: any) =>
    w.pods.flatMap((p: any) => p.containers),
  );
  expect(
    containers.some(
      (c: any) =>
        c.reason === 'CrashLoopBackOff' ||
        c.lastTermination?.exitCode !== undefined,
    ),
  ).toBe(true);

  // alice may read the entity, but not team-search's namespaces: nothing of
  // its workloads, pods or events reaches her.
  const alice = await call('alice', 'tenancy.service-health', {
    entityRef: 'search-indexer',
  });
  expect(alice.isError).toBeFalsy();
  expect(alice.structuredContent.unhealthyWorkloads).toEqual([]);
  expect(
    alice.structuredContent.clusters.flatMap((c: any) => c.workloads),
  ).toEqual([]);
});

it('gives the fleet to the platform team only', async () => {
  const pat = await call('pat', 'tenancy.fleet', {});
  expect(pat.isError).toBeFalsy();
  expect(pat.structuredContent.clusters.map((c: any) => c.name).sort()).toEqual(
    sandbox.state.clusters.map(c => c.name).sort(),
  );

  const alice = await call('alice', 'tenancy.fleet', {});
  expect(alice.isError).toBe(true);
  expect(textOf(alice)).toMatch(
    /NotAllowedError: The fleet view is for the platform team/,
  );
  expect(textOf(alice)).not.toMatch(/sandbox-/);
});

it('onboards in a dry run by default: the per-cluster plan, and nothing on any cluster', async () => {
  const name = `mcp-dry-${Date.now().toString(36)}`;
  const result = await call('alice', 'scaffolder.tenancy-namespace-onboard', {
    tenant: 'group:default/team-payments',
    namespace: name,
    environment: 'dev',
    quotaPreset: 'small',
  });
  expect(result.isError).toBeFalsy();
  const plan = result.structuredContent;
  expect(plan.dryRun).toBe(true);
  expect(plan.clusters.map((c: any) => c.cluster).sort()).toEqual(
    [...DEV].sort(),
  );
  for (const cluster of plan.clusters) {
    expect(cluster.outcome).not.toBe('failed');
    expect(cluster.objects).toContainEqual({
      object: `Namespace/${name}`,
      change: 'would-create',
    });
    expect(cluster.objects.length).toBeGreaterThan(3);
  }
  expect(plan.log.join('\n')).toMatch(/Dry run: would onboard/);
  for (const cluster of DEV) {
    expect(await readNamespace(sandbox, cluster, name)).toBeUndefined();
  }
});

it('refuses onboarding for another team, before any cluster is touched, and audits it', async () => {
  const before = failedAudits('tenancy-namespace-onboard', 'alice');
  const name = `mcp-cross-${Date.now().toString(36)}`;
  const result = await call('alice', 'scaffolder.tenancy-namespace-onboard', {
    tenant: 'group:default/team-search',
    namespace: name,
    environment: 'dev',
    dryRun: false,
  });
  expect(result.isError).toBe(true);
  expect(textOf(result)).toMatch(
    /NotAllowedError: .*not a member of group:default\/team-search/,
  );
  for (const cluster of DEV) {
    expect(await readNamespace(sandbox, cluster, name)).toBeUndefined();
  }
  // The portal's log is a file another process writes: read it until the
  // event is there (or fail after 10 s).
  await eventually(
    'the refusal to be audited',
    async () =>
      failedAudits('tenancy-namespace-onboard', 'alice') === before + 1 ||
      undefined,
    10_000,
    250,
  );
  // eslint-disable-next-line no-console
  console.log(
    `[mcp] cross-team onboarding refused; alice's failed tenancy-namespace-onboard audit events ${before} → ${failedAudits(
      'tenancy-namespace-onboard',
      'alice',
    )}`,
  );
});

it("plans a team's AWS account without creating one, and refuses another team's", async () => {
  const email = `mcp-plan-${Date.now().toString(36)}@payments.example.com`;
  const request = {
    accountName: 'payments-mcp-plan',
    email,
    ou: 'Workloads/Dev',
    tags: { 'cost-centre': 'cc-1234', environment: 'dev' },
  };
  const plan = await call('alice', 'scaffolder.tenancy-aws-account-request', {
    ...request,
    tenant: 'group:default/team-payments',
  });
  expect(plan.isError).toBeFalsy();
  expect(plan.structuredContent).toMatchObject({
    dryRun: true,
    email,
    tenant: 'group:default/team-payments',
    ou: { path: 'Workloads/Dev', id: expect.stringMatching(/^ou-/) },
  });
  expect(plan.structuredContent.existingAccountId).toBeUndefined();
  expect(plan.structuredContent.log.join('\n')).toMatch(
    /Dry run: would create account "payments-mcp-plan".*nothing was created/,
  );

  const create = await call('alice', 'scaffolder.tenancy-aws-account-request', {
    ...request,
    tenant: 'group:default/team-payments',
    dryRun: false,
  });
  expect(create.isError).toBe(true);
  expect(textOf(create)).toMatch(
    /InputError: This tool only plans; create the account with the template template:default\/request-aws-account/,
  );

  const before = failedAudits('tenancy-aws-account-create', 'alice');
  const other = await call('alice', 'scaffolder.tenancy-aws-account-request', {
    ...request,
    tenant: 'group:default/team-search',
  });
  expect(other.isError).toBe(true);
  expect(textOf(other)).toMatch(
    /NotAllowedError: .*not a member of group:default\/team-search/,
  );
  await eventually(
    'the refusal to be audited',
    async () =>
      failedAudits('tenancy-aws-account-create', 'alice') === before + 1 ||
      undefined,
    10_000,
    250,
  );
});

it("plans closing a team's AWS account without closing it, and refuses another team's", async () => {
  // The sandbox seeds payments-dev (ACTIVE) and payments-legacy (closed).
  const { client } = sandbox.organizations();
  const ids: Record<string, string> = {};
  for await (const page of paginateListAccounts({ client }, {})) {
    for (const a of page.Accounts ?? []) ids[a.Name!] = a.Id!;
  }
  const tenant = 'group:default/team-payments';
  const plan = await call('alice', 'scaffolder.tenancy-aws-account-close', {
    accountId: ids['payments-dev'],
    tenant,
  });
  expect(plan.isError).toBeFalsy();
  expect(plan.structuredContent).toMatchObject({
    dryRun: true,
    accountId: ids['payments-dev'],
    tenant,
    state: 'ACTIVE',
    wouldClose: true,
  });
  expect(plan.structuredContent.log.join('\n')).toMatch(
    /Dry run: would close account \d{12} \("payments-dev"\).*nothing was closed/,
  );
  const { Account: after } = await client.send(
    new DescribeAccountCommand({ AccountId: ids['payments-dev'] }),
  );
  expect(after?.State ?? after?.Status).toBe('ACTIVE');

  const closed = await call('alice', 'scaffolder.tenancy-aws-account-close', {
    accountId: ids['payments-legacy'],
    tenant,
  });
  expect(closed.structuredContent).toMatchObject({ wouldClose: false });
  expect(closed.structuredContent.state).toMatch(/SUSPENDED|PENDING_CLOSURE/);

  const real = await call('alice', 'scaffolder.tenancy-aws-account-close', {
    accountId: ids['payments-dev'],
    tenant,
    dryRun: false,
  });
  expect(real.isError).toBe(true);
  expect(textOf(real)).toMatch(/InputError: This tool only plans/);

  // bob is in team-search: neither as his own team's (the tag says
  // payments) nor as payments' (he is not a member).
  const before = failedAudits('tenancy-aws-account-close', 'bob');
  const other = await call('bob', 'scaffolder.tenancy-aws-account-close', {
    accountId: ids['payments-dev'],
    tenant,
  });
  expect(other.isError).toBe(true);
  expect(textOf(other)).toMatch(
    /NotAllowedError: .*not a member of group:default\/team-payments/,
  );
  const disguised = await call('bob', 'scaffolder.tenancy-aws-account-close', {
    accountId: ids['payments-dev'],
    tenant: 'group:default/team-search',
  });
  expect(disguised.isError).toBe(true);
  expect(textOf(disguised)).toMatch(/NotAllowedError: .*not owned by/);
  await eventually(
    'the refusal to be audited',
    async () =>
      failedAudits('tenancy-aws-account-close', 'bob') >= before + 1 ||
      undefined,
    10_000,
    250,
  );
});
