/**
 * A real registry (CNCF Distribution, Debian's `docker-registry`) inside a network namespace:
 * TLS with a test CA, htpasswd (bcrypt) authentication, storage in a temp directory. Tests own
 * its whole life: it is never the machine's docker-registry service.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Netns } from './netns';
import type { TlsFiles } from './tls';

/** bcrypt reads at most 72 bytes of a password; the rest never counts. */
export const BCRYPT_MAX_BYTES = 72;

/**
 * One htpasswd line with a bcrypt hash. `htpasswd` refuses passwords over 256 bytes and bcrypt
 * ignores everything after byte 72, so the hash is made from the first 72 bytes: the registry
 * then accepts exactly the passwords whose first 72 bytes match (a test must compare the rest
 * itself).
 */
export function bcryptHtpasswdLine(user: string, password: string): string {
  const prefix = Buffer.from(password, 'utf8').subarray(0, BCRYPT_MAX_BYTES);
  const result = spawnSync('htpasswd', ['-n', '-i', '-B', '-C', '4', user], { input: prefix, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`htpasswd: ${result.stderr || result.error?.message}`);
  return `${result.stdout.trim()}\n`;
}

export interface RegistryProcess {
  /** Everything the registry logged so far (stderr and stdout). */
  log(): string;
  close(): Promise<void>;
}

export interface RegistryOptions {
  readonly dir: string;
  /** `127.0.0.1:443` and the like, inside the namespace. */
  readonly addr: string;
  readonly tls: TlsFiles;
  /** Content of the htpasswd file. */
  readonly htpasswd: string;
}

export async function startRegistryInNetns(netns: Netns, options: RegistryOptions): Promise<RegistryProcess> {
  mkdirSync(join(options.dir, 'storage'), { recursive: true });
  const htpasswdFile = join(options.dir, 'htpasswd');
  writeFileSync(htpasswdFile, options.htpasswd, { mode: 0o600 });
  const configFile = join(options.dir, 'config.yml');
  writeFileSync(
    configFile,
    [
      'version: 0.1',
      'log:',
      '  level: info',
      '  accesslog:',
      '    disabled: false',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${JSON.stringify(join(options.dir, 'storage'))}`,
      'http:',
      `  addr: ${JSON.stringify(options.addr)}`,
      '  secret: ecr-login-test-registry',
      '  tls:',
      `    certificate: ${JSON.stringify(options.tls.serverCert)}`,
      `    key: ${JSON.stringify(options.tls.serverKey)}`,
      'auth:',
      '  htpasswd:',
      '    realm: ecr-login-test',
      `    path: ${JSON.stringify(htpasswdFile)}`,
      '',
    ].join('\n'),
  );
  // A clean environment: REGISTRY_* variables would override the config file.
  const child: ChildProcess = netns.spawnTied('docker-registry', ['serve', configFile], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async (): Promise<void> => {
    child.stdin?.end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 5_000)))]);
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  // The listener exists before the registry logs "listening on …".
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.stderr?.off('data', check);
      child.off('exit', onExit);
      if (error === undefined) resolve();
      else void close().then(() => reject(error));
    };
    const check = (): void => {
      if (/listening on .*, tls/.test(output)) settle();
    };
    const onExit = (code: number | null): void => settle(new Error(`the registry exited (${code}):\n${output}`));
    const timer = setTimeout(() => settle(new Error(`the registry did not start within 60 s:\n${output}`)), 60_000);
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.once('exit', onExit);
  });
  return { log: () => output, close };
}
