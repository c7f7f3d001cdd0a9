/**
 * kubectl as yourself: a kubectl credential plugin for a Tenancy portal.
 *
 * @packageDocumentation
 */
import { Command } from 'commander';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CachedToken,
  cacheFile,
  forgetCachedTokens,
  isFresh,
  readCached,
  writeCached,
} from './cache';
import {
  backstageToken,
  claimsOf,
  KubeLoginError,
  normalizePortal,
  portalJson,
} from './portal';

export { cacheDir, cacheFile, forgetCachedTokens, isFresh } from './cache';

const CLUSTER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

/**
 * A token for `cluster`, from the cache while it is fresh, else from the
 * portal (which reads the person's teams from the catalog as they are now).
 */
export async function clusterToken(
  portal: string,
  cluster: string,
): Promise<CachedToken> {
  if (!CLUSTER.test(cluster)) {
    throw new KubeLoginError(`"${cluster.slice(0, 40)}" is not a cluster name`);
  }
  // Whose token: one cache entry per person, so that signing in as someone
  // else (or another BACKSTAGE_TOKEN) never reuses the last person's.
  const backstage = await backstageToken(portal);
  const who = claimsOf(backstage).sub ?? backstage;
  const file = cacheFile(portal, cluster, who);
  const cached = readCached(file);
  if (cached && isFresh(cached)) return cached;
  const fresh = await portalJson<CachedToken>(portal, '/cluster-access/token', {
    method: 'POST',
    body: { cluster },
    token: backstage,
  });
  try {
    writeCached(file, {
      token: fresh.token,
      expirationTimestamp: fresh.expirationTimestamp,
      user: fresh.user,
      groups: fresh.groups,
    });
  } catch (error) {
    // A cache it may not use (another user's folder, a link, a full or
    // read-only disk) costs a sign-in per kubectl call, not the call itself.
    process.stderr.write(
      `tenancy-kube-login: ${
        (error as Error).message
      }; the token is not cached, so each kubectl call asks the portal\n`,
    );
  }
  return fresh;
}

/** What kubectl reads from an exec plugin (client.authentication.k8s.io/v1). */
export function execCredential(token: CachedToken) {
  return {
    apiVersion: 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    status: {
      token: token.token,
      expirationTimestamp: token.expirationTimestamp,
    },
  };
}

type KubeconfigAnswer =
  | { configured: false; message: string }
  | {
      configured: true;
      kubeconfig: string;
      fileName: string;
      contexts: Array<{ name: string }>;
    };

/** Writes a team's kubeconfig from the portal; returns the file and its contexts. */
export async function setup(
  portal: string,
  team: string,
  output?: string,
): Promise<{ file: string; contexts: string[] }> {
  const match = /^(?:group:)?(?:([^/:]+)\/)?([^/:]+)$/i.exec(team);
  if (!match) {
    throw new KubeLoginError(
      `--team must be a team such as group:default/team-payments, not "${team}"`,
    );
  }
  const [, namespace = 'default', name] = match;
  const answer = await portalJson<KubeconfigAnswer>(
    portal,
    `/cluster-access/teams/${encodeURIComponent(
      namespace,
    )}/${encodeURIComponent(name)}/kubeconfig`,
  );
  if (!answer.configured) throw new KubeLoginError(answer.message);
  // The portal names the file; only a plain name inside ~/.kube/tenancy.
  const fileName = path.basename(answer.fileName);
  if (fileName !== answer.fileName || !/^[\w.-]+\.yaml$/.test(fileName)) {
    throw new KubeLoginError(
      `The portal suggested an unusable file name "${answer.fileName.slice(
        0,
        60,
      )}"; pass --output`,
    );
  }
  const file = output ?? path.join(os.homedir(), '.kube', 'tenancy', fileName);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, answer.kubeconfig, { mode: 0o600 });
  return { file, contexts: answer.contexts.map(c => c.name) };
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command('tenancy-kube-login')
    .description(
      'kubectl as yourself: tokens for tenant clusters from a Tenancy portal',
    )
    .showHelpAfterError();
  program
    .command('get-token')
    .description(
      "kubectl's exec credential plugin: prints an ExecCredential for the cluster",
    )
    .requiredOption('--portal <url>', "the portal's backend URL")
    .requiredOption('--cluster <name>', 'the cluster, as the portal names it')
    .action(async (opts: { portal: string; cluster: string }) => {
      const token = await clusterToken(
        normalizePortal(opts.portal),
        opts.cluster,
      );
      process.stdout.write(`${JSON.stringify(execCredential(token))}\n`);
    });
  program
    .command('setup')
    .description("writes a team's kubeconfig (no secret in it) from the portal")
    .requiredOption('--portal <url>', "the portal's backend URL")
    .requiredOption(
      '--team <ref>',
      'the team, e.g. group:default/team-payments',
    )
    .option('--output <file>', 'where to write it (default ~/.kube/tenancy/…)')
    .action(async (opts: { portal: string; team: string; output?: string }) => {
      const { file, contexts } = await setup(
        normalizePortal(opts.portal),
        opts.team,
        opts.output,
      );
      process.stdout.write(
        [
          `Wrote ${file} with ${contexts.length} context(s):`,
          ...contexts.map(c => `  ${c}`),
          '',
          'Use it:',
          `  export KUBECONFIG=${file}:$HOME/.kube/config`,
          contexts[0]
            ? `  kubectl --context ${contexts[0]} get pods`
            : '  (the team has no namespaces yet)',
          '',
        ].join('\n'),
      );
    });
  program
    .command('forget')
    .description(
      'drops the cached tokens: the next kubectl call gets a fresh one with your teams as they are now (after joining a team, or once its namespace is onboarded on a cluster)',
    )
    .action(() => {
      const forgotten = forgetCachedTokens();
      process.stdout.write(
        `Forgot ${forgotten} cached token(s); kubectl's next call signs in afresh.\n`,
      );
    });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.stderr.write(
      `tenancy-kube-login: ${
        error instanceof KubeLoginError ? error.message : String(error)
      }\n`,
    );
    process.exitCode = 1;
  }
}
