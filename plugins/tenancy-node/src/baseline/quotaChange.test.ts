import { describeQuotaChange } from './quotaChange';

describe('describeQuotaChange', () => {
  it('names each limit that changes, is added or is dropped, in key order', () => {
    expect(
      describeQuotaChange(
        { 'requests.cpu': '2', pods: '20', 'limits.memory': '8Gi' },
        { 'requests.cpu': '4', pods: '20', services: '10' },
      ),
    ).toBe(
      'limits.memory 8Gi → no limit, requests.cpu 2 → 4, services 10 (new)',
    );
  });

  it('compares quantities as numbers: the API server writes them its own way', () => {
    expect(
      describeQuotaChange(
        { 'requests.memory': '1Gi', 'requests.cpu': '500m' },
        { 'requests.memory': '1024Mi', 'requests.cpu': '0.5' },
      ),
    ).toBe('no change');
  });

  it('says where the namespace already uses more than a new limit', () => {
    expect(
      describeQuotaChange(
        { 'requests.cpu': '4', pods: '40' },
        { 'requests.cpu': '1', pods: '40' },
        { 'requests.cpu': '1500m', pods: '3' },
      ),
    ).toBe(
      'requests.cpu 4 → 1; already in use above the new limit: requests.cpu 1500m > 1 (running pods keep running; new ones are refused until use drops)',
    );
  });

  it('treats a quota that is not there yet as all new', () => {
    expect(describeQuotaChange(undefined, { pods: '10' })).toBe(
      'pods 10 (new)',
    );
  });
});
