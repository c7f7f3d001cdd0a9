import assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createApp } from './app.ts';
import { serve, type RunningServer } from './serve.ts';

interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: unknown;
}

/** One HTTP request on a fresh connection (no keep-alive agent). */
function call(port: number, path: string, method = 'GET'): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request({ port, path, method, agent: false }, res => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', chunk => (text += chunk));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const json: unknown = text ? JSON.parse(text) : undefined;
        resolve({ status, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function until<T>(
  get: () => T | undefined,
  timeoutMs = 2000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = get();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise(resolve => setTimeout(resolve, 10));
  }
}

describe('endpoints', () => {
  const logs: Array<Record<string, unknown>> = [];
  let server: RunningServer;

  before(async () => {
    const app = createApp({ name: 'test-service', version: '1.2.3' });
    server = await serve(app, { port: 0, log: entry => logs.push(entry) });
  });
  after(() => server.shutdown());

  it('GET /healthz is 200 ok', async () => {
    const res = await call(server.port, '/healthz');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.deepEqual(res.json, { status: 'ok' });
  });

  it('GET /readyz is 200 while serving', async () => {
    const res = await call(server.port, '/readyz');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { status: 'ready' });
  });

  it('GET / reports the name and version', async () => {
    const res = await call(server.port, '/');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { name: 'test-service', version: '1.2.3' });
  });

  it('ignores the query string', async () => {
    const res = await call(server.port, '/healthz?verbose=1');
    assert.equal(res.status, 200);
  });

  it('answers HEAD without a body', async () => {
    const res = await call(server.port, '/healthz', 'HEAD');
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
  });

  it('unknown paths are 404 JSON', async () => {
    const res = await call(server.port, '/nope');
    assert.equal(res.status, 404);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.deepEqual(res.json, { error: 'Not Found' });
  });

  for (const method of ['POST', 'PUT', 'DELETE']) {
    it(`${method} on a known path is 405 with Allow`, async () => {
      const res = await call(server.port, '/healthz', method);
      assert.equal(res.status, 405);
      assert.equal(res.headers['allow'], 'GET, HEAD');
      assert.deepEqual(res.json, { error: 'Method Not Allowed' });
    });
  }

  it('logs one line per request with method, path, status and ms', async () => {
    const count = logs.length;
    await call(server.port, '/nope?secret=x');
    const entry = await until(() => logs[count]);
    assert.equal(entry.msg, 'request');
    assert.equal(entry.method, 'GET');
    assert.equal(entry.path, '/nope');
    assert.equal(entry.status, 404);
    assert.equal(typeof entry.ms, 'number');
  });
});

describe('shutdown', () => {
  it('fails readiness, keeps liveness, then stops accepting connections', async () => {
    const app = createApp({ name: 'test-service', version: '1.2.3' });
    const server = await serve(app, {
      port: 0,
      log: () => {},
      drainDelayMs: 300,
    });
    assert.equal((await call(server.port, '/readyz')).status, 200);

    const stopped = server.shutdown();
    assert.equal(app.ready, false);

    const ready = await call(server.port, '/readyz');
    assert.equal(ready.status, 503);
    assert.deepEqual(ready.json, { status: 'shutting down' });
    assert.equal(ready.headers['connection'], 'close');
    assert.equal((await call(server.port, '/healthz')).status, 200);

    await stopped;
    await assert.rejects(call(server.port, '/healthz'), {
      code: 'ECONNREFUSED',
    });
    assert.equal(
      server.shutdown(),
      stopped,
      'a second shutdown is the same one',
    );
  });
});
