import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

function openssl(args: string[], cwd: string) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Files of one cluster's PKI, all inside its own folder. */
export interface ClusterPki {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  frontProxyCert: string;
  frontProxyKey: string;
  serviceAccountKey: string;
}

/**
 * Creates (once) a cluster's own CA and the certificates signed by it: the
 * apiserver's serving certificate for 127.0.0.1/localhost, and the
 * front-proxy client certificate. Each cluster has its own CA, so a client
 * that trusts one cluster does not trust the others.
 */
export function ensureClusterPki(dir: string, clusterName: string): ClusterPki {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pki: ClusterPki = {
    caCert: path.join(dir, 'ca.crt'),
    caKey: path.join(dir, 'ca.key'),
    servingCert: path.join(dir, 'apiserver.crt'),
    servingKey: path.join(dir, 'apiserver.key'),
    frontProxyCert: path.join(dir, 'front-proxy-client.crt'),
    frontProxyKey: path.join(dir, 'front-proxy-client.key'),
    serviceAccountKey: path.join(dir, 'sa.key'),
  };
  if (Object.values(pki).every(f => fs.existsSync(f))) {
    return pki;
  }
  const days = '3650';
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      days,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-subj',
      `/CN=tenancy-sandbox-${clusterName}-ca`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  const sign = (name: string, subject: string, extensions: string) => {
    fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
    openssl(
      [
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.csr`,
        '-subj',
        subject,
      ],
      dir,
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${name}.crt`,
        '-days',
        days,
        '-extfile',
        `${name}.ext`,
      ],
      dir,
    );
  };
  sign(
    'apiserver',
    '/CN=kube-apiserver',
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc',
      '',
    ].join('\n'),
  );
  sign(
    'front-proxy-client',
    '/CN=front-proxy-client',
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n',
  );
  openssl(['genrsa', '-out', 'sa.key', '2048'], dir);
  for (const file of fs.readdirSync(dir)) {
    if (file.endsWith('.key')) fs.chmodSync(path.join(dir, file), 0o600);
  }
  return pki;
}

export function newToken(): string {
  return randomBytes(24).toString('hex');
}
