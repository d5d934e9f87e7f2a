/**
 * Private network namespaces for tests that need a real hostname (an ECR host) to resolve to
 * loopback without touching the machine's /etc/hosts: `ip netns add`, a hosts file in
 * /etc/netns/<name>/hosts (which `ip netns exec` bind-mounts over /etc/hosts for the commands
 * it runs), and loopback brought up. Nothing in the namespace can reach any other address.
 *
 * A service of the test process (the ECR emulator on the host's 127.0.0.1) is brought into the
 * namespace through a unix socket: socket files live in the filesystem, which the namespaces
 * share. The host side listens on the socket and connects to the service; a small forwarder
 * inside the namespace listens on its own 127.0.0.1 and connects to the socket.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findOnPath } from './docker-cli';

const PREFIX = 'ecrlogin-test';
const NETNS_ETC = '/etc/netns';

export interface Netns {
  readonly name: string;
  /** `ip netns exec <name> <command> <args…>` as an argv for spawn. */
  argv(command: string, args?: readonly string[]): [string, string[]];
  /** Spawns a command inside the namespace (the environment passes through `ip netns exec`). */
  spawn(command: string, args: readonly string[], options: SpawnOptions): ChildProcess;
  /**
   * Like `spawn`, for long-running services: the command runs under a small `sh` that stops it
   * (SIGTERM) when its stdin — a pipe from this process — closes, so the service cannot outlive
   * the test process even when that is killed. End it with `child.stdin.end()` (or SIGTERM).
   */
  spawnTied(command: string, args: readonly string[], options: Omit<SpawnOptions, 'stdio'>): ChildProcess;
  /** Deletes the namespace and its /etc/netns directory. Safe to call twice. */
  remove(): void;
}

let probed: string | undefined | null = null;

/** Why network namespaces cannot be used here (tried for real, once), or undefined. */
export function netnsUnavailable(): string | undefined {
  if (probed !== null) return probed;
  probed = probe();
  return probed;
}

function probe(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces are Linux only; this is ${process.platform}`;
  if (findOnPath('ip') === undefined && !existsSync('/usr/sbin/ip') && !existsSync('/sbin/ip')) return '`ip` (iproute2) is not installed';
  if (process.getuid?.() !== 0) return '`ip netns add` needs root (or CAP_SYS_ADMIN + CAP_NET_ADMIN); not root here';
  const name = `${PREFIX}-${process.pid}-probe-${randomBytes(3).toString('hex')}`;
  const added = spawnSync(ipCommand(), ['netns', 'add', name], { encoding: 'utf8' });
  if (added.status !== 0) return `\`ip netns add\` is not permitted here: ${(added.stderr || added.error?.message || '').trim()}`;
  try {
    const ran = spawnSync(ipCommand(), ['netns', 'exec', name, ipCommand(), 'link', 'set', 'lo', 'up'], { encoding: 'utf8' });
    if (ran.status !== 0) return `\`ip netns exec\` is not permitted here: ${(ran.stderr || ran.error?.message || '').trim()}`;
    return undefined;
  } finally {
    spawnSync(ipCommand(), ['netns', 'delete', name]);
  }
}

function ipCommand(): string {
  return findOnPath('ip') ?? (existsSync('/usr/sbin/ip') ? '/usr/sbin/ip' : '/sbin/ip');
}

/**
 * Creates a namespace whose /etc/hosts maps each given hostname to an address (usually
 * 127.0.0.1), with loopback up. Also removes namespaces this helper left behind in runs that
 * were killed before they could clean up (their process is gone).
 */
export function createNetns(hosts: Readonly<Record<string, string>>): Netns {
  removeStale();
  const ip = ipCommand();
  const name = `${PREFIX}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const etcExisted = existsSync(NETNS_ETC);
  const etcDir = join(NETNS_ETC, name);
  const run = (args: string[]): void => {
    const result = spawnSync(ip, args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`ip ${args.join(' ')}: ${(result.stderr || result.error?.message || '').trim()}`);
  };
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    spawnSync(ip, ['netns', 'delete', name]);
    rmSync(etcDir, { recursive: true, force: true });
    if (!etcExisted) removeIfEmpty(NETNS_ETC);
  };
  run(['netns', 'add', name]);
  try {
    mkdirSync(etcDir, { recursive: true });
    const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', ...Object.entries(hosts).map(([host, address]) => `${address}\t${host}`)];
    writeFileSync(join(etcDir, 'hosts'), `${lines.join('\n')}\n`);
    run(['netns', 'exec', name, ip, 'link', 'set', 'lo', 'up']);
  } catch (error) {
    remove();
    throw error;
  }
  return {
    name,
    argv: (command, args = []) => [ip, ['netns', 'exec', name, command, ...args]],
    spawn: (command, args, options) => spawn(ip, ['netns', 'exec', name, command, ...args], options),
    spawnTied: (command, args, options) =>
      spawn(ip, ['netns', 'exec', name, 'sh', '-c', TIED_SCRIPT, 'tied', command, ...args], { ...options, stdio: ['pipe', 'pipe', 'pipe'] }),
    remove,
  };
}

/** Runs "$@" until it ends, or until stdin reaches EOF or sh gets SIGTERM: then stops it. */
const TIED_SCRIPT = [
  'exec 3<&0',
  '"$@" </dev/null &',
  'child=$!',
  '(cat <&3 >/dev/null; kill -TERM "$child" 2>/dev/null) &',
  'trap \'kill -TERM "$child" 2>/dev/null\' TERM INT HUP',
  'wait "$child"',
  'status=$?',
  // A trapped signal ends the first wait early; the second waits for the child itself.
  'wait "$child" 2>/dev/null',
  'exit "$status"',
].join('\n');

function removeIfEmpty(dir: string): void {
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    // gone already, or someone else's namespace is in it
  }
}

function removeStale(): void {
  const list = spawnSync(ipCommand(), ['netns', 'list'], { encoding: 'utf8' });
  for (const line of (list.stdout ?? '').split('\n')) {
    const name = line.split(/\s/)[0] ?? '';
    const match = new RegExp(`^${PREFIX}-(\\d+)-`).exec(name);
    if (!match || isAlive(Number(match[1]))) continue;
    spawnSync(ipCommand(), ['netns', 'delete', name]);
    rmSync(join(NETNS_ETC, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface Forward {
  /** The port on the namespace's 127.0.0.1 that reaches the target. */
  readonly port: number;
  close(): Promise<void>;
}

/** Makes `127.0.0.1:<targetPort>` of this process's namespace reachable inside `netns`. */
export async function forwardIntoNetns(netns: Netns, targetPort: number): Promise<Forward> {
  const dir = mkdtempSync(join(tmpdir(), 'netns-fwd-'));
  const socketPath = join(dir, 'fwd.sock');
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const server: Server = createServer((inbound) => {
    track(inbound);
    const outbound = createConnection({ host: '127.0.0.1', port: targetPort });
    track(outbound);
    inbound.pipe(outbound).pipe(inbound);
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });

  const child = netns.spawn(process.execPath, [join(__dirname, 'netns-forwarder.js'), socketPath], { stdio: ['pipe', 'pipe', 'pipe'] });
  const close = async (): Promise<void> => {
    child.kill('SIGTERM');
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => reject(new Error(`the forwarder in ${netns.name} did not start: ${err}`)), 30_000);
      child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const line = /^(\d+)\n/.exec(out);
        if (line) {
          clearTimeout(timer);
          resolve(Number(line[1]));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the forwarder in ${netns.name} exited (${code}): ${err}`));
      });
    });
    return { port, close };
  } catch (error) {
    await close();
    throw error;
  }
}
