import { act, render, screen } from '@testing-library/react';
import { RefreshStatus } from './RefreshStatus';
import { REFRESH_INTERVAL_MS, useAutoRefresh } from './useAutoRefresh';

function Probe(props: { load: () => Promise<string>; name: string }) {
  const state = useAutoRefresh(props.load, props.name);
  return (
    <>
      <RefreshStatus
        updatedAt={state.updatedAt}
        loading={state.loading}
        onRefresh={state.refresh}
      />
      <p>{state.value ? `value: ${state.value}` : 'no value'}</p>
      <p>{state.error ? `error: ${state.error.message}` : 'no error'}</p>
    </>
  );
}

/** Lets resolved loads land and timers fire, as the browser would. */
async function advance(ms: number) {
  await act(async () => {
    jest.advanceTimersByTime(ms);
  });
}

describe('auto-refresh', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reloads every 30 s and says how old the data is', async () => {
    let n = 0;
    const load = jest.fn(async () => `v${++n}`);
    render(<Probe load={load} name="a" />);
    expect(screen.getByText('Loading…')).toBeInTheDocument();
    await advance(0);
    expect(screen.getByText('value: v1')).toBeInTheDocument();
    expect(screen.getByText('Updated 0 s ago')).toBeInTheDocument();

    await advance(12_000);
    expect(screen.getByText('Updated 12 s ago')).toBeInTheDocument();
    expect(load).toHaveBeenCalledTimes(1);

    await advance(REFRESH_INTERVAL_MS - 12_000);
    expect(load).toHaveBeenCalledTimes(2);
    expect(screen.getByText('value: v2')).toBeInTheDocument();
    expect(screen.getByText('Updated 0 s ago')).toBeInTheDocument();
  });

  it('keeps the last value through a failed reload and shows the error', async () => {
    const load = jest
      .fn<Promise<string>, []>()
      .mockResolvedValueOnce('good')
      .mockRejectedValueOnce(new Error('backend restarting'));
    render(<Probe load={load} name="a" />);
    await advance(0);
    await advance(REFRESH_INTERVAL_MS);
    expect(load).toHaveBeenCalledTimes(2);
    expect(screen.getByText('value: good')).toBeInTheDocument();
    expect(screen.getByText('error: backend restarting')).toBeInTheDocument();
    expect(screen.getByText('Updated 30 s ago')).toBeInTheDocument();
  });

  it('shows nothing of the previous key once the key changes', async () => {
    const { rerender } = render(<Probe load={async () => 'of a'} name="a" />);
    await advance(0);
    expect(screen.getByText('value: of a')).toBeInTheDocument();
    rerender(<Probe load={() => new Promise(() => {})} name="b" />);
    expect(screen.getByText('no value')).toBeInTheDocument();
  });

  it('stops reloading once unmounted', async () => {
    const load = jest.fn(async () => 'v');
    const { unmount } = render(<Probe load={load} name="a" />);
    await advance(0);
    unmount();
    await advance(3 * REFRESH_INTERVAL_MS);
    expect(load).toHaveBeenCalledTimes(1);
  });
});
