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
  /** kwok's serving certificate for 127.0.0.1, where it plays the nodes' kubelets. */
  kubeletCert: string;
  kubeletKey: string;
  /** The apiserver's client certificate to the kubelets (`pods/log`). */
  kubeletClientCert: string;
  kubeletClientKey: string;
}

const DAYS = '3650';

/**
 * Signs a certificate for `name` (`<name>.crt`, `<name>.key` in `dir`) with
 * the CA in `dir` (`ca.crt`, `ca.key`): a cluster's, or the sandbox issuer's.
 */
export function sign(
  dir: string,
  name: string,
  subject: string,
  extensions: string,
) {
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
      DAYS,
      '-extfile',
      `${name}.ext`,
    ],
    dir,
  );
  fs.chmodSync(path.join(dir, `${name}.key`), 0o600);
}

/**
 * The kubelet side of `pods/log`: kwok serves it on 127.0.0.1 with a
 * certificate of the cluster's CA (which the apiserver verifies, as
 * `--kubelet-certificate-authority`), and the apiserver presents a client
 * certificate of its own. Made beside an existing CA too, so that a sandbox
 * made before them keeps its CA and its clients' caData.
 */
function ensureKubeletCerts(dir: string, pki: ClusterPki) {
  if (!fs.existsSync(pki.kubeletCert) || !fs.existsSync(pki.kubeletKey)) {
    sign(
      dir,
      'kubelet',
      '/CN=kwok-kubelet',
      [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '',
      ].join('\n'),
    );
  }
  if (
    !fs.existsSync(pki.kubeletClientCert) ||
    !fs.existsSync(pki.kubeletClientKey)
  ) {
    sign(
      dir,
      'apiserver-kubelet-client',
      '/CN=kube-apiserver-kubelet-client',
      'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n',
    );
  }
}

/**
 * Creates (once) a cluster's own CA and the certificates signed by it: the
 * apiserver's serving certificate for 127.0.0.1/localhost, the front-proxy
 * client certificate, and the kubelet pair ({@link ensureKubeletCerts}).
 * Each cluster has its own CA, so a client that trusts one cluster does not
 * trust the others.
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
    kubeletCert: path.join(dir, 'kubelet.crt'),
    kubeletKey: path.join(dir, 'kubelet.key'),
    kubeletClientCert: path.join(dir, 'apiserver-kubelet-client.crt'),
    kubeletClientKey: path.join(dir, 'apiserver-kubelet-client.key'),
  };
  const base = [
    pki.caCert,
    pki.caKey,
    pki.servingCert,
    pki.servingKey,
    pki.frontProxyCert,
    pki.frontProxyKey,
    pki.serviceAccountKey,
  ];
  if (!base.every(f => fs.existsSync(f))) {
    createClusterCa(dir, clusterName);
  }
  ensureKubeletCerts(dir, pki);
  return pki;
}

/** A self-signed CA (`ca.crt`, `ca.key` in `dir`) named `commonName`. */
export function createCa(dir: string, commonName: string) {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      DAYS,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-subj',
      `/CN=${commonName}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  fs.chmodSync(path.join(dir, 'ca.key'), 0o600);
}

/** A new CA, the apiserver's serving and front-proxy certificates, and the service-account key. */
function createClusterCa(dir: string, clusterName: string) {
  createCa(dir, `tenancy-sandbox-${clusterName}-ca`);
  sign(
    dir,
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
    dir,
    'front-proxy-client',
    '/CN=front-proxy-client',
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n',
  );
  openssl(['genrsa', '-out', 'sa.key', '2048'], dir);
  for (const file of fs.readdirSync(dir)) {
    if (file.endsWith('.key')) fs.chmodSync(path.join(dir, file), 0o600);
  }
}

export function newToken(): string {
  return randomBytes(24).toString('hex');
}
