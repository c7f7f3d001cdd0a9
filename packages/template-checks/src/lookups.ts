import { Config, ConfigReader } from '@backstage/config';
import { JsonObject, JsonValue } from '@backstage/types';
import {
  AWS_ORGANIZATIONS_CONFIG_KEY as CONFIG_KEY,
  OrganizationsApi,
  OrganizationsClientProvider,
  resolveTiming,
} from '@tenancy/plugin-tenancy-node';
import { Finding } from './types';
import { SampleValues } from './values';

/**
 * The lookup a sample value may be instead of a literal: the id of the AWS
 * account with this name in the organization the portal's config points at
 * (`tenancy.aws.organizations`) — for a value that only exists where the
 * checks run, like the account a close template closes:
 *
 * ```yaml
 * accountId: { $awsAccountId: payments-legacy }
 * ```
 */
export const AWS_ACCOUNT_ID_LOOKUP = '$awsAccountId';

function lookupOf(value: JsonValue | undefined): string | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return undefined;
  }
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== AWS_ACCOUNT_ID_LOOKUP) return undefined;
  const name = (value as JsonObject)[AWS_ACCOUNT_ID_LOOKUP];
  return typeof name === 'string' ? name : '';
}

/** Whether any sample value is a lookup. */
export function hasLookups(sample: SampleValues): boolean {
  return Object.values(sample.values).some(v => lookupOf(v) !== undefined);
}

/**
 * Replaces each lookup in the sample values with what it finds; a lookup
 * that finds nothing, or more than one account, is a finding at its line in
 * the values file.
 */
export async function resolveLookups(
  sample: SampleValues,
  config: JsonObject | undefined,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  let accounts: Promise<Array<{ Id?: string; Name?: string }>> | undefined;
  for (const [key, value] of Object.entries(sample.values)) {
    const name = lookupOf(value);
    if (name === undefined) continue;
    const origin = sample.origins.get(key);
    const problem = (message: string) =>
      origin?.kind === 'file'
        ? origin.source.finding([key], message)
        : { file: '', line: 0, column: 0, message };
    if (!name) {
      findings.push(
        problem(`${AWS_ACCOUNT_ID_LOOKUP} needs an account name (a string)`),
      );
      continue;
    }
    const reader = new ConfigReader(config ?? {});
    if (!reader.has(CONFIG_KEY)) {
      findings.push(
        problem(
          `${AWS_ACCOUNT_ID_LOOKUP} looks "${name}" up in the organization of ${CONFIG_KEY}, which the checks' config does not have (start the sandbox, or give the portal's config)`,
        ),
      );
      continue;
    }
    try {
      accounts ??= listAccounts(reader);
      const found = (await accounts).filter(a => a.Name === name);
      if (found.length !== 1 || !found[0].Id) {
        findings.push(
          problem(
            found.length
              ? `${found.length} AWS accounts are named "${name}" in the organization; ${AWS_ACCOUNT_ID_LOOKUP} needs a unique name`
              : `No AWS account is named "${name}" in the organization (tenancy.aws.organizations)`,
          ),
        );
        continue;
      }
      sample.values[key] = found[0].Id;
    } catch (error) {
      findings.push(
        problem(
          `Could not look up the AWS account "${name}": ${
            (error as Error).message
          }`,
        ),
      );
    }
  }
  return findings;
}

async function listAccounts(config: Config) {
  const client = await OrganizationsClientProvider.fromConfig(
    config,
  ).getClient();
  return new OrganizationsApi(client, resolveTiming(), () => {}).listAccounts();
}
