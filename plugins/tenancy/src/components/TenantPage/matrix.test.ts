import { namespace } from '../../testing/fixtures';
import { policiesText } from './matrix';

describe('policiesText', () => {
  const on = (cluster: string, limitRange: boolean, defaultDeny: boolean) =>
    namespace({
      name: 'payments',
      cluster,
      limitRange,
      networkPolicies: { count: defaultDeny ? 2 : 0, defaultDeny },
    });

  it('names the baseline when every cluster has it', () => {
    expect(
      policiesText([on('sandbox-a', true, true), on('sandbox-b', true, true)]),
    ).toEqual({ missing: false, text: 'LimitRange · default-deny' });
  });

  it('says what is missing, without clusters, when it is missing everywhere', () => {
    expect(
      policiesText([
        on('sandbox-a', false, true),
        on('sandbox-b', false, true),
      ]),
    ).toEqual({ missing: true, text: '▲ no LimitRange' });
  });

  it('names the clusters when only some lack the same thing', () => {
    expect(
      policiesText([
        on('sandbox-a', true, true),
        on('sandbox-b', true, false),
        on('sandbox-c', true, false),
      ]),
    ).toEqual({
      missing: true,
      text: '▲ no default-deny on sandbox-b, sandbox-c',
    });
  });

  it('spells out each cluster when they lack different things (what a tooltip used to hide)', () => {
    expect(
      policiesText([
        on('sandbox-a', false, true),
        on('sandbox-b', false, false),
        on('sandbox-c', true, true),
      ]),
    ).toEqual({
      missing: true,
      text: '▲ sandbox-a: no LimitRange; sandbox-b: no LimitRange, no default-deny',
    });
  });
});
