import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';

/** `tenancy.environments`: environment name → cluster names. @public */
export function readEnvironments(config: Config): Record<string, string[]> {
  const envs = config.getOptionalConfig('tenancy.environments');
  return Object.fromEntries(
    (envs?.keys() ?? []).map(name => [name, envs!.getStringArray(name)]),
  );
}

/** The clusters of an environment; an unknown environment is an input error naming the known ones. @public */
export function clustersOfEnvironment(
  config: Config,
  environment: string,
): string[] {
  const environments = readEnvironments(config);
  // Own keys only: "constructor" is no environment.
  const clusters = Object.hasOwn(environments, environment)
    ? environments[environment]
    : undefined;
  if (!clusters) {
    const known = Object.keys(environments);
    throw new InputError(
      `Unknown environment "${environment}"; ${
        known.length
          ? `known: ${known.join(', ')}`
          : 'no tenancy.environments are configured'
      }`,
    );
  }
  return clusters;
}

/** Per-cluster request timeout (`tenancy.clusterTimeoutMs`, default 10 s). @public */
export function readClusterTimeoutMs(config: Config): number {
  return config.getOptionalNumber('tenancy.clusterTimeoutMs') ?? 10_000;
}
