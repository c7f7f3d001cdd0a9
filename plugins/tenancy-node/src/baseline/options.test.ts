import { ConfigReader } from '@backstage/config';
import { DEFAULT_QUOTA_PRESETS, readBaselineOptions } from './options';

describe('readBaselineOptions', () => {
  it('reads quota presets whose ResourceQuota keys have dots, as YAML gives them', () => {
    const options = readBaselineOptions(
      new ConfigReader({
        tenancy: {
          baseline: {
            defaultQuotaPreset: 'xl',
            quotaPresets: {
              xl: {
                'requests.cpu': '64',
                'requests.memory': '128Gi',
                pods: 400,
              },
              small: { 'requests.cpu': '1', pods: '10' },
            },
          },
        },
      }),
    );
    expect(options.quotaPresets.xl).toEqual({
      'requests.cpu': '64',
      'requests.memory': '128Gi',
      pods: '400',
    });
    // A preset of the same name replaces the default one; the others stay.
    expect(options.quotaPresets.small).toEqual({
      'requests.cpu': '1',
      pods: '10',
    });
    expect(options.quotaPresets.large).toEqual(DEFAULT_QUOTA_PRESETS.large);
    expect(options.defaultQuotaPreset).toBe('xl');
  });

  it('refuses a preset that is not a map of quantities, naming it', () => {
    expect(() =>
      readBaselineOptions(
        new ConfigReader({
          tenancy: { baseline: { quotaPresets: { tiny: ['pods', '1'] } } },
        }),
      ),
    ).toThrow(/tenancy.baseline.quotaPresets.tiny must map/);
    expect(() =>
      readBaselineOptions(
        new ConfigReader({
          tenancy: { baseline: { quotaPresets: { tiny: { pods: 'many' } } } },
        }),
      ),
    ).toThrow(/pods/);
  });

  it('refuses a group subject template that would give teams one group, or a system: group', () => {
    const read = (groupSubjectTemplate: string) => () =>
      readBaselineOptions(
        new ConfigReader({ tenancy: { baseline: { groupSubjectTemplate } } }),
      );
    expect(read('developers')).toThrow(/has no \{name\}/);
    expect(read('system:{name}')).toThrow(/system: group/);
    expect(read('oidc:{namespace}:{name}')().groupSubjectTemplate).toBe(
      'oidc:{namespace}:{name}',
    );
    expect(readBaselineOptions(new ConfigReader({})).groupSubjectTemplate).toBe(
      '{name}',
    );
  });
});
