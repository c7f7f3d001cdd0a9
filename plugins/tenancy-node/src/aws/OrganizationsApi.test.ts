import {
  DescribeOrganizationalUnitCommand,
  ListParentsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { OrganizationsApi } from './OrganizationsApi';
import { resolveTiming } from './timing';

/**
 * Counts the calls, which moto cannot: the provider's tests run
 * parentOuName against the sandbox (including throttling).
 */
function stubClient(parents: Record<string, { Id: string; Type: string }>) {
  const calls: string[] = [];
  const client = {
    send: async (command: unknown) => {
      if (command instanceof ListParentsCommand) {
        calls.push(`ListParents ${command.input.ChildId}`);
        return { Parents: [parents[command.input.ChildId!]] };
      }
      if (command instanceof DescribeOrganizationalUnitCommand) {
        const id = command.input.OrganizationalUnitId!;
        calls.push(`DescribeOrganizationalUnit ${id}`);
        return { OrganizationalUnit: { Id: id, Name: `name of ${id}` } };
      }
      throw new Error('unexpected command');
    },
  } as unknown as OrganizationsClient;
  return { client, calls };
}

describe('OrganizationsApi.parentOuName', () => {
  it('reads each OU name once for calls that share the cache, and calls the root Root', async () => {
    const { client, calls } = stubClient({
      '111111111111': { Id: 'ou-ab-1', Type: 'ORGANIZATIONAL_UNIT' },
      '222222222222': { Id: 'ou-ab-1', Type: 'ORGANIZATIONAL_UNIT' },
      '333333333333': { Id: 'r-ab', Type: 'ROOT' },
    });
    const api = new OrganizationsApi(client, resolveTiming(), () => {});
    const names = new Map<string, string>();

    expect(await api.parentOuName('111111111111', names)).toBe(
      'name of ou-ab-1',
    );
    expect(await api.parentOuName('222222222222', names)).toBe(
      'name of ou-ab-1',
    );
    expect(await api.parentOuName('333333333333', names)).toBe('Root');
    expect(calls).toEqual([
      'ListParents 111111111111',
      'DescribeOrganizationalUnit ou-ab-1',
      'ListParents 222222222222',
      'ListParents 333333333333',
    ]);
  });
});
