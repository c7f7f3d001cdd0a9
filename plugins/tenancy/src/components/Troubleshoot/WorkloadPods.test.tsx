import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { tenancyApiRef } from '../../api';
import { FakeTenancyApi, responseError } from '../../testing/fakeTenancyApi';
import { HOSTILE, searchIndexerPods } from '../../testing/fixtures';
import { ago, OpenPodsButton } from './WorkloadPods';

const KEY = 'sandbox-a/search/Deployment/search-indexer';
const WORKLOAD = {
  cluster: 'sandbox-a',
  namespace: 'search',
  kind: 'Deployment' as const,
  name: 'search-indexer',
};

async function open(api: FakeTenancyApi) {
  await renderInTestApp(<OpenPodsButton workload={WORKLOAD} />, {
    apis: [[tenancyApiRef, api]],
  });
  // Nothing is read until someone asks.
  expect(api.calls).toEqual([]);
  await userEvent.click(
    screen.getByRole('button', {
      name: 'Pods & logs of search-indexer on sandbox-a',
    }),
  );
  return screen.findByRole('dialog', {
    name: 'Pods of Deployment search/search-indexer on sandbox-a',
  });
}

describe('Troubleshooting a workload: its pods', () => {
  it('shows why the container fails: state, last termination with exit code, events and the crashed log first', async () => {
    const api = new FakeTenancyApi({
      workloadPods: { [KEY]: searchIndexerPods },
    });
    const dialog = within(await open(api));
    const pod = within(
      await dialog.findByRole('region', {
        name: 'Pod search-indexer-7d9f-abcde',
      }),
    );
    expect(api.calls).toEqual([`getWorkloadPods ${KEY}`]);
    expect(pod.getByText('CrashLoopBackOff')).toBeInTheDocument();
    expect(pod.getByText('waiting: CrashLoopBackOff')).toBeInTheDocument();
    expect(pod.getByText(/^Error, exit code 1, /)).toBeInTheDocument();
    expect(
      pod.getByRole('list', { name: 'Events of search-indexer-7d9f-abcde' }),
    ).toHaveTextContent(
      /^Warning BackOff Pod\/search-indexer-7d9f-abcde ×42, .* ago: Back-off restarting failed container indexer$/,
    );
    // The previous (crashed) container's log is shown first: it says why.
    expect(
      pod.getByRole('tab', { name: 'indexer (previous)', selected: true }),
    ).toBeInTheDocument();
    expect(pod.getByLabelText('Log of indexer (previous)')).toHaveTextContent(
      'FATAL: cannot connect to opensearch:9200: connection refused',
    );
    await userEvent.click(pod.getByRole('tab', { name: 'indexer (current)' }));
    expect(pod.getByLabelText('Log of indexer (current)')).toHaveTextContent(
      /^starting indexer 1\.4\.2$/,
    );

    await userEvent.click(dialog.getByRole('button', { name: 'Reload' }));
    await dialog.findByRole('region', {
      name: 'Pod search-indexer-7d9f-abcde',
    });
    expect(api.calls).toEqual([
      `getWorkloadPods ${KEY}`,
      `getWorkloadPods ${KEY}`,
    ]);
  });

  it('says so when the workload is not one the user may see', async () => {
    const api = new FakeTenancyApi({
      workloadPods: {
        [KEY]: await responseError(
          404,
          'NotFoundError',
          'No Deployment search/search-indexer on cluster sandbox-a among the namespaces you may read',
        ),
      },
    });
    const dialog = within(await open(api));
    expect(
      await dialog.findByText(
        /No Deployment search\/search-indexer on cluster sandbox-a among the namespaces you may read/,
      ),
    ).toBeInTheDocument();
  });

  it('says a log could not be read rather than showing it empty, and renders hostile text as text', async () => {
    const [pod] = searchIndexerPods.pods;
    const api = new FakeTenancyApi({
      workloadPods: {
        [KEY]: {
          ...searchIndexerPods,
          pods: [
            {
              ...pod,
              name: HOSTILE,
              logs: [
                {
                  container: 'indexer',
                  previous: true,
                  lines: [],
                  error: 'previous terminated container "indexer" not found',
                },
                {
                  container: 'indexer',
                  previous: false,
                  lines: [HOSTILE],
                  truncated: true,
                },
              ],
            },
          ],
          totalPods: 25,
        },
      },
    });
    const dialog = within(await open(api));
    expect(
      await dialog.findByText(
        'previous terminated container "indexer" not found',
      ),
    ).toBeInTheDocument();
    expect(dialog.getByRole('heading', { name: HOSTILE })).toBeInTheDocument();
    expect(
      dialog.getByText('Showing 1 of 25 pods, those not ready first.'),
    ).toBeInTheDocument();
    await userEvent.click(
      dialog.getByRole('tab', { name: 'indexer (current)' }),
    );
    expect(
      dialog.getByText(/the newest of them are missing/),
    ).toBeInTheDocument();
    expect(document.querySelector('img[src="x"]')).toBeNull();
  });

  it('closes, and says there are no pods when there are none', async () => {
    const api = new FakeTenancyApi({
      workloadPods: { [KEY]: { ...searchIndexerPods, pods: [] } },
    });
    const dialog = within(await open(api));
    expect(
      await dialog.findByText('No pods: the Deployment has none on sandbox-a.'),
    ).toBeInTheDocument();
    await userEvent.click(dialog.getByRole('button', { name: 'Close' }));
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
  });
});

describe('ago', () => {
  it('says how long ago, in the largest sensible unit', () => {
    const now = Date.parse('2026-11-30T12:00:00Z');
    expect(ago('2026-11-30T11:59:30Z', now)).toBe('30 s ago');
    expect(ago('2026-11-30T11:55:00Z', now)).toBe('5 min ago');
    expect(ago('2026-11-30T09:00:00Z', now)).toBe('3 h ago');
    expect(ago('2026-11-25T12:00:00Z', now)).toBe('5 d ago');
    expect(ago('not a time', now)).toBe('not a time');
  });
});
