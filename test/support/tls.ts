/**
 * A throwaway certificate authority and a server certificate for one hostname, made with the
 * `openssl` command line. Nothing is installed anywhere: clients are pointed at `caCert`
 * explicitly (skopeo's --cert-dir, for example).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TlsFiles {
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** A directory holding only `ca.crt`: the layout containers/image's --cert-dir reads. */
  readonly clientCertDir: string;
}

export function makeTlsFiles(dir: string, hostname: string): TlsFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = (name: string): string => join(dir, name);
  const openssl = (args: string[]): void => {
    const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`openssl ${args[0]}: ${result.stderr || result.error?.message}`);
  };
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl([
    'req', '-x509', ...ecKey, '-keyout', path('ca.key'), '-out', path('ca.crt'), '-days', '2',
    '-subj', '/CN=docker-credential-ecr-login test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  openssl(['req', '-new', ...ecKey, '-keyout', path('server.key'), '-out', path('server.csr'), '-subj', `/CN=${hostname}`]);
  writeFileSync(
    path('server.ext'),
    [`subjectAltName=DNS:${hostname}`, 'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth', ''].join('\n'),
  );
  openssl([
    'x509', '-req', '-in', path('server.csr'), '-CA', path('ca.crt'), '-CAkey', path('ca.key'), '-CAcreateserial',
    '-out', path('server.crt'), '-days', '2', '-extfile', path('server.ext'),
  ]);
  const clientCertDir = path('client-certs');
  mkdirSync(clientCertDir);
  copyFileSync(path('ca.crt'), join(clientCertDir, 'ca.crt'));
  return { caCert: path('ca.crt'), serverCert: path('server.crt'), serverKey: path('server.key'), clientCertDir };
}
