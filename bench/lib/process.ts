/** The benches' process plumbing: progress lines, waiting, ports, Ctrl-C. */
import net from 'node:net';

/** A progress line on stderr (stdout is the report). */
export const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

export const sleep = (ms: number) =>
  new Promise(resolve => setTimeout(resolve, ms));

/** fn on every item, at most `limit` at a time. */
export async function mapLimit<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/**
 * Side by side: runs `first` then `second` in even rounds and the other way
 * round in odd ones (so that neither side always runs on a quieter machine);
 * the results in the order of the arguments.
 */
export async function alternating<A, B>(
  round: number,
  first: () => Promise<A>,
  second: () => Promise<B>,
): Promise<[A, B]> {
  if (round % 2 === 0) {
    const a = await first();
    return [a, await second()];
  }
  const b = await second();
  return [await first(), b];
}

/** Retries `attempt` every second until it returns a value (not undefined) or the time is up. */
export async function until<T>(
  what: string,
  timeoutMs: number,
  attempt: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await attempt();
      if (v !== undefined) return v;
    } catch (error) {
      last = String(error);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: not within ${timeoutMs / 1000} s${last ? ` (${last})` : ''}`,
      );
    }
    await sleep(1000);
  }
}

export async function portInUse(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const handedOut = new Set<number>();

/** A port nobody listens on now (the kernel's pick), not one handed out before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port: p } = server.address() as net.AddressInfo;
        server.close(() => resolve(p));
      });
    });
    if (!handedOut.has(port) && !(await portInUse(port))) {
      handedOut.add(port);
      return port;
    }
  }
}

/** Never resolves: after Ctrl-C, what fails is the cleanup's doing; the cleanup exits. */
export const hang = () => new Promise<never>(() => {});

export interface Interrupt {
  /** Ctrl-C (or SIGTERM) came: the cleanup runs and the process exits 130. */
  readonly interrupted: boolean;
}

/**
 * On the first SIGINT or SIGTERM: logs `message`, runs `cleanup`, exits 130;
 * on the second, exits at once.
 */
export function onInterrupt(
  message: string,
  cleanup: () => Promise<unknown>,
): Interrupt {
  const state = { interrupted: false };
  const onSignal = () => {
    if (state.interrupted) process.exit(130);
    state.interrupted = true;
    log(message);
    cleanup()
      .catch(error => log(`cleanup failed: ${error}`))
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return state;
}
