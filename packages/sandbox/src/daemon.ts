import net from 'node:net';
import { createFaultLayer } from './aws/faultLayer';

interface DaemonOptions {
  motoUrl: string;
  faultLayerPort: number;
  blackholePort: number;
}

/**
 * A TCP endpoint that accepts connections and never answers a byte: what a
 * cluster behind a dead load balancer or a dropped route looks like to a
 * client, which then has to rely on its own timeout.
 */
export function startBlackhole(port: number): Promise<net.Server> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer(socket => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('close', () => sockets.forEach(s => s.destroy()));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

export async function main(argv: string[]) {
  const options: DaemonOptions = JSON.parse(argv[2]);
  const log = (message: string) =>
    process.stdout.write(`${new Date().toISOString()} ${message}\n`);
  const blackhole = await startBlackhole(options.blackholePort);
  const faultLayer = createFaultLayer({ upstream: options.motoUrl, log });
  const url = await faultLayer.listen(options.faultLayerPort);
  log(
    `AWS fault layer on ${url} → ${options.motoUrl}; black hole on 127.0.0.1:${options.blackholePort}`,
  );
  const stop = async () => {
    await faultLayer.close();
    blackhole.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
