import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cacheDir } from '../paths';
import { ensureMoto, MOTO_VERSION, startMoto, stopMoto } from './moto';
import { freePort } from './testUtils';

// The first run installs moto into the cache (about half a minute).
jest.setTimeout(300_000);

let dir: string;

beforeEach(async () => {
  dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'tenancy-moto-test-'));
});

afterEach(async () => {
  await fs.promises.rm(dir, { recursive: true, force: true });
});

/**
 * A stand-in for python3 whose venv's pip "installs" moto_server as a
 * script; each call is counted in calls.log. pipExit lets pip fail.
 */
function fakePython(pipExit = 0): string {
  const python = path.join(dir, 'python');
  const callLog = path.join(dir, 'calls.log');
  fs.writeFileSync(
    python,
    `#!/bin/sh
echo "python $*" >> ${callLog}
venv="$3"
mkdir -p "$venv/bin"
ln -s /bin/sh "$venv/bin/python"
cat > "$venv/bin/pip" <<'PIP'
#!/bin/sh
echo "pip $*" >> ${callLog}
if [ ${pipExit} -ne 0 ]; then echo "ERROR: No matching distribution" >&2; exit ${pipExit}; fi
printf '#!/bin/sh\\nexit 0\\n' > "$(dirname "$0")/moto_server"
chmod +x "$(dirname "$0")/moto_server"
PIP
chmod +x "$venv/bin/pip"
`,
    { mode: 0o755 },
  );
  return python;
}

function calls(): string[] {
  const file = path.join(dir, 'calls.log');
  return fs.existsSync(file)
    ? fs.readFileSync(file, 'utf8').trim().split('\n')
    : [];
}

function commandLines(): string[] {
  return fs
    .readdirSync('/proc')
    .filter(p => /^\d+$/.test(p))
    .map(p => {
      try {
        return fs
          .readFileSync(`/proc/${p}/cmdline`, 'utf8')
          .split('\0')
          .join(' ')
          .trim();
      } catch {
        return '';
      }
    });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('ensureMoto', () => {
  it('installs once, then reuses the venv; redoes a half install', async () => {
    const python = fakePython();
    const cache = path.join(dir, 'cache');
    const logged: string[] = [];
    const log = (m: string) => logged.push(m);

    const server = await ensureMoto({ cacheDir: cache, log, python });
    expect(server).toBe(
      path.join(cache, `moto-${MOTO_VERSION}`, 'bin', 'moto_server'),
    );
    expect(calls()).toEqual([
      `python -m venv ${path.join(cache, `moto-${MOTO_VERSION}`)}`,
      `pip install --disable-pip-version-check --no-input --quiet moto[server]==${MOTO_VERSION}`,
    ]);
    expect(logged[logged.length - 1]).toMatch(
      new RegExp(
        `^moto\\[server\\]==${MOTO_VERSION} installed in \\d+\\.\\d+s$`,
      ),
    );

    await ensureMoto({ cacheDir: cache, log, python });
    expect(calls()).toHaveLength(2);

    // A run killed mid-install leaves no marker.
    fs.rmSync(path.join(cache, `moto-${MOTO_VERSION}`, '.tenancy-installed'));
    await ensureMoto({ cacheDir: cache, log, python });
    expect(calls()).toHaveLength(4);

    // The Python the venv was made with is gone (e.g. upgraded): its
    // interpreter link dangles, so the venv is made again.
    const interpreter = path.join(
      cache,
      `moto-${MOTO_VERSION}`,
      'bin',
      'python',
    );
    fs.rmSync(interpreter);
    fs.symlinkSync(path.join(dir, 'no-such-python'), interpreter);
    await ensureMoto({ cacheDir: cache, log, python });
    expect(calls()).toHaveLength(6);
  });

  it('installs once when several processes ask at the same time', async () => {
    const python = fakePython();
    const cache = path.join(dir, 'cache');
    const servers = await Promise.all(
      [1, 2, 3].map(() => ensureMoto({ cacheDir: cache, python })),
    );
    expect(new Set(servers).size).toBe(1);
    expect(calls()).toHaveLength(2);
    expect(fs.readdirSync(cache)).toEqual([`moto-${MOTO_VERSION}`]);
  });

  it('takes over a lock whose owner died', async () => {
    const python = fakePython();
    const cache = path.join(dir, 'cache');
    const lock = path.join(cache, `moto-${MOTO_VERSION}.lock`);
    fs.mkdirSync(lock, { recursive: true });
    // No process has pid 2^22 + 1 (above Linux's pid_max default).
    fs.writeFileSync(path.join(lock, 'pid'), String(4194305));
    await ensureMoto({ cacheDir: cache, python });
    expect(calls()).toHaveLength(2);
    expect(fs.existsSync(lock)).toBe(false);
  });

  it('reports a failed pip install and leaves no marker', async () => {
    const python = fakePython(1);
    const cache = path.join(dir, 'cache');
    await expect(ensureMoto({ cacheDir: cache, python })).rejects.toThrow(
      /pip install moto\[server\]==5\.2\.5 failed \(exit 1\):\nERROR: No matching distribution/,
    );
    expect(
      fs.existsSync(
        path.join(cache, `moto-${MOTO_VERSION}`, '.tenancy-installed'),
      ),
    ).toBe(false);
  });
});

describe('startMoto', () => {
  let motoServer: string;

  beforeAll(async () => {
    motoServer = await ensureMoto({
      cacheDir: cacheDir(),
      log: m => process.stderr.write(`${m}\n`),
    });
  });

  it('starts moto on 127.0.0.1 and stops it', async () => {
    const port = await freePort();
    const logFile = path.join(dir, 'moto.log');
    const moto = await startMoto({ motoServer, port, logFile, detached: true });
    try {
      expect(moto.url).toBe(`http://127.0.0.1:${port}`);
      const res = await fetch(`${moto.url}/`, {
        method: 'POST',
        headers: {
          'x-amz-target': 'AWSOrganizationsV20161128.ListRoots',
          'content-type': 'application/x-amz-json-1.1',
          authorization:
            'AWS4-HMAC-SHA256 Credential=sandbox/20250101/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=0',
        },
        body: '{}',
      });
      expect(res.status).toBe(400);
      expect((await res.json()).__type).toBe(
        'AWSOrganizationsNotInUseException',
      );
      expect(fs.readFileSync(logFile, 'utf8')).toContain(
        `Running on http://127.0.0.1:${port}`,
      );
    } finally {
      await stopMoto(moto.pid);
    }
    expect(alive(moto.pid)).toBe(false);
  });

  it('fails with the log tail when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>(resolve => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      await expect(
        startMoto({ motoServer, port, logFile: path.join(dir, 'busy.log') }),
      ).rejects.toThrow(/moto_server exited \(exit code \d+\)[^]*in use/);
    } finally {
      blocker.close();
    }
  });

  it('gives up after the timeout and leaves nothing running', async () => {
    const silent = path.join(dir, 'silent');
    fs.writeFileSync(
      silent,
      '#!/bin/sh\necho "starting slowly"\nexec sleep 61.5\n',
      {
        mode: 0o755,
      },
    );
    const started = Date.now();
    await expect(
      startMoto({
        motoServer: silent,
        port: await freePort(),
        logFile: path.join(dir, 'silent.log'),
        timeoutMs: 1000,
      }),
    ).rejects.toThrow(/did not answer .* within 1000 ms[^]*starting slowly/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(commandLines().filter(c => c === 'sleep 61.5')).toEqual([]);
  });
});
