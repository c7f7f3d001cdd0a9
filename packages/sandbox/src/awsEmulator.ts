import path from 'node:path';
import { FAULTS_PATH } from './aws/faults';
import type { UpContext } from './controlPlane';
import { packageRoot } from './paths';
import { request, waitFor } from './probe';

/**
 * moto, and the daemon that serves the AWS fault layer in front of it (and
 * the black-hole endpoint); waits until both answer.
 *
 * @param motoServer - the venv's `moto_server`, from ensureMoto.
 */
export async function ensureAwsEmulator(
  ctx: UpContext,
  motoServer: string,
): Promise<void> {
  const { supervisor, ports } = ctx;
  if (!supervisor.isRunning('moto')) {
    supervisor.start({
      name: 'moto',
      command: motoServer,
      args: ['-H', '127.0.0.1', '-p', String(ports.moto)],
    });
  }
  if (!supervisor.isRunning('daemon')) {
    supervisor.start({
      name: 'daemon',
      command: process.execPath,
      args: [
        path.join(packageRoot, 'bin', 'sandbox-daemon'),
        JSON.stringify({
          motoUrl: `http://127.0.0.1:${ports.moto}`,
          faultLayerPort: ports.faultLayer,
          blackholePort: ports.blackhole,
        }),
      ],
    });
  }
  await waitFor(
    'moto',
    async () =>
      (await request(`http://127.0.0.1:${ports.moto}/moto-api/`)).status < 500,
    60_000,
    () => supervisor.tail('moto'),
  );
  await waitFor(
    'the AWS fault layer',
    async () =>
      (
        await request(`http://127.0.0.1:${ports.faultLayer}${FAULTS_PATH}`)
      ).status === 200,
    30_000,
    () => supervisor.tail('daemon'),
  );
}
