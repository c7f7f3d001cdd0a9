import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { get } from 'node:http';
import { createInterface } from 'node:readline';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

type LogEntry = Record<string, unknown>;

const serverPath = fileURLToPath(new URL('./server.ts', import.meta.url));

function statusOf(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get({ port, path, agent: false }, res => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}

/** The port from the server's "listening" log line. */
async function listeningPort(
  child: ChildProcess,
  logs: LogEntry[],
): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const port = logs.find(entry => entry.msg === 'listening')?.port;
    if (typeof port === 'number') return port;
    assert.equal(child.exitCode, null, 'the server exited before listening');
    assert.ok(Date.now() < deadline, 'the server did not listen in time');
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

it(
  'runs as a process and exits 0 on SIGTERM',
  { timeout: 20_000 },
  async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: '0',
      SHUTDOWN_DELAY_MS: '0',
    };
    delete env.NODE_TEST_CONTEXT; // the child is a server, not a test file
    const child = spawn(process.execPath, [serverPath], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // 'close' comes after the child's stdout has been read to the end.
    const closed = once(child, 'close');
    const logs: LogEntry[] = [];
    createInterface({ input: child.stdout }).on('line', line => {
      logs.push(JSON.parse(line) as LogEntry);
    });

    try {
      const port = await listeningPort(child, logs);
      assert.equal(await statusOf(port, '/healthz'), 200);
      assert.equal(await statusOf(port, '/readyz'), 200);

      child.kill('SIGTERM');
      const [code, signal] = await closed;
      assert.deepEqual({ code, signal }, { code: 0, signal: null });
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
      }
    }

    const requests = logs.filter(entry => entry.msg === 'request');
    assert.deepEqual(
      requests.map(({ method, path, status }) => ({ method, path, status })),
      [
        { method: 'GET', path: '/healthz', status: 200 },
        { method: 'GET', path: '/readyz', status: 200 },
      ],
    );
    assert.ok(logs.some(entry => entry.msg === 'stopped'));
  },
);
