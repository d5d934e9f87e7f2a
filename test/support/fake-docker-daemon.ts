/**
 * A small fake Docker Engine on a unix socket, for running the real Docker CLI
 * (`DOCKER_HOST=unix://<socketPath>`) where no engine runs. It answers what the CLI needs for
 * `pull`, `push`, `login`, `logout`, `inspect` and the classic `build`, and records every
 * request with the credentials the CLI attached:
 *
 * - `X-Registry-Auth` (pull, push): base64url JSON `{username, password, serveraddress, …}`;
 * - the JSON body of `POST /auth` (login);
 * - `X-Registry-Config` (classic build): base64url JSON `{"<server>": {username, password, …}}`.
 *
 * It plays the registry too: `checkAuth` decides whether credentials are good enough, and a
 * refusal comes back the way dockerd reports one, so the CLI fails as it would for real.
 * Nothing here opens a network connection.
 */
import { randomBytes, createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const FAKE_API_VERSION = '1.50';

/** What the CLI puts in `X-Registry-Auth`, the `/auth` body and each `X-Registry-Config` value. */
export interface RegistryAuth {
  username?: string;
  password?: string;
  serveraddress?: string;
  auth?: string;
  email?: string;
  identitytoken?: string;
  registrytoken?: string;
}

export interface DaemonRequest {
  readonly method: string;
  /** The path without the `/v1.NN` prefix, decoded. */
  readonly path: string;
  /** `1.50` from `/v1.50/…`; undefined for unversioned calls (`/_ping`). */
  readonly apiVersion: string | undefined;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** `X-Registry-Auth` exactly as sent; undefined when absent. */
  readonly registryAuthHeader: string | undefined;
  /** `X-Registry-Auth` decoded. */
  readonly registryAuth: RegistryAuth | undefined;
  /** `X-Registry-Config` decoded (classic build). */
  readonly registryConfig: Record<string, RegistryAuth> | undefined;
}

/** An error message to refuse the credentials with, or undefined to accept them. */
export type AuthCheck = (registryHost: string, auth: RegistryAuth | undefined, action: 'pull' | 'push' | 'login') => string | undefined;

export interface FakeDockerDaemonOptions {
  /** Default: every credential (and none) is accepted. */
  readonly checkAuth?: AuthCheck;
}

export interface FakeDockerDaemon {
  readonly socketPath: string;
  /** `unix://<socketPath>`, for DOCKER_HOST or `docker -H`. */
  readonly dockerHost: string;
  readonly requests: DaemonRequest[];
  /** `<name>:<tag>` (normalized: `docker.io/library/…`) of every image pulled so far (what `GET /images/{name}/json` finds). */
  readonly images: Set<string>;
  /** The requests that carry registry credentials: pulls, pushes, logins, builds. */
  credentialRequests(): DaemonRequest[];
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeDockerDaemon(options: FakeDockerDaemonOptions = {}): Promise<FakeDockerDaemon> {
  const daemon = new Daemon(options.checkAuth ?? (() => undefined));
  await daemon.listen();
  return daemon;
}

/** The registry part of an image name, as the Docker CLI and daemon read it. */
export function registryHostOf(name: string): string {
  const slash = name.indexOf('/');
  if (slash < 0) return 'docker.io';
  const first = name.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : 'docker.io';
}

/** `nginx:1` → `docker.io/library/nginx:1`, as the daemon names images; a missing tag is `latest`. */
export function normalizeImageName(name: string): string {
  const withTag = /:[^/]+$/.test(name) ? name : `${name}:latest`;
  if (registryHostOf(withTag) !== 'docker.io') return withTag;
  const path = withTag.replace(/^(docker\.io|index\.docker\.io)\//, '');
  return `docker.io/${path.includes('/') ? path : `library/${path}`}`;
}

/** base64url (or base64) JSON, as the Docker API encodes auth headers. */
export function decodeAuthHeader<T>(value: string): T {
  return JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as T;
}

class Daemon implements FakeDockerDaemon {
  readonly requests: DaemonRequest[] = [];
  readonly images = new Set<string>();
  readonly socketPath: string;
  readonly dockerHost: string;
  private readonly dir: string;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly checkAuth: AuthCheck) {
    // A short path: unix socket paths are limited to about 107 bytes.
    this.dir = mkdtempSync(join(tmpdir(), 'fake-dockerd-'));
    this.socketPath = join(this.dir, 'docker.sock');
    this.dockerHost = `unix://${this.socketPath}`;
    this.server = createServer((req, res) => this.onRequest(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.socketPath, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  credentialRequests(): DaemonRequest[] {
    return this.requests.filter(
      (request) => request.registryAuthHeader !== undefined || request.registryConfig !== undefined || request.path === '/auth',
    );
  }

  reset(): void {
    this.requests.length = 0;
    this.images.clear();
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
    rmSync(this.dir, { recursive: true, force: true });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        this.handle(this.record(req, Buffer.concat(chunks)), res);
      } catch (error) {
        sendJson(res, 500, { message: `fake daemon error: ${error instanceof Error ? error.message : String(error)}` });
      }
    });
  }

  private record(req: IncomingMessage, body: Buffer): DaemonRequest {
    const url = new URL(req.url ?? '/', 'http://docker');
    const versioned = /^\/v(\d+\.\d+)(\/.*)$/.exec(url.pathname);
    const header = (name: string): string | undefined => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(',') : value;
    };
    const registryAuthHeader = header('x-registry-auth');
    const registryConfigHeader = header('x-registry-config');
    const request: DaemonRequest = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(versioned?.[2] ?? url.pathname),
      apiVersion: versioned?.[1],
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      registryAuthHeader,
      registryAuth: registryAuthHeader === undefined ? undefined : decodeAuthHeader<RegistryAuth>(registryAuthHeader),
      registryConfig: registryConfigHeader === undefined ? undefined : decodeAuthHeader<Record<string, RegistryAuth>>(registryConfigHeader),
    };
    this.requests.push(request);
    return request;
  }

  private handle(request: DaemonRequest, res: ServerResponse): void {
    const { method, path } = request;
    if (path === '/_ping') {
      res.writeHead(200, { ...engineHeaders(), 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache, no-store, must-revalidate' });
      res.end(method === 'HEAD' ? undefined : 'OK');
      return;
    }
    if (method === 'GET' && path === '/version') {
      sendJson(res, 200, {
        Version: '28.2.2',
        ApiVersion: FAKE_API_VERSION,
        MinAPIVersion: '1.24',
        Os: 'linux',
        Arch: 'amd64',
        KernelVersion: 'fake',
        Components: [{ Name: 'Engine', Version: '28.2.2', Details: { ApiVersion: FAKE_API_VERSION } }],
      });
      return;
    }
    if (method === 'GET' && path === '/info') {
      sendJson(res, 200, { ID: 'fake', Name: 'fake-dockerd', ServerVersion: '28.2.2', OSType: 'linux', Architecture: 'x86_64', IndexServerAddress: 'https://index.docker.io/v1/' });
      return;
    }
    if (method === 'POST' && path === '/auth') {
      this.login(request, res);
      return;
    }
    if (method === 'POST' && path === '/images/create') {
      this.pull(request, res);
      return;
    }
    const push = /^\/images\/(.+)\/push$/.exec(path);
    if (method === 'POST' && push) {
      this.push(push[1] ?? '', request, res);
      return;
    }
    const inspect = /^\/images\/(.+)\/json$/.exec(path);
    if (method === 'GET' && inspect) {
      this.inspectImage(inspect[1] ?? '', res);
      return;
    }
    if (method === 'POST' && path === '/build') {
      this.build(request, res);
      return;
    }
    sendJson(res, 404, { message: `page not found (fake daemon: ${method} ${path})` });
  }

  private login(request: DaemonRequest, res: ServerResponse): void {
    const auth = JSON.parse(request.body.toString('utf8') || '{}') as RegistryAuth;
    const server = (auth.serveraddress ?? '').replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    const refusal = this.checkAuth(server, auth, 'login');
    if (refusal !== undefined) {
      sendJson(res, 401, { message: `login attempt to https://${server}/v2/ failed with status: 401 Unauthorized: ${refusal}` });
      return;
    }
    sendJson(res, 200, { Status: 'Login Succeeded', IdentityToken: '' });
  }

  private pull(request: DaemonRequest, res: ServerResponse): void {
    const name = request.query.fromImage ?? '';
    const tag = request.query.tag || 'latest';
    const refusal = this.checkAuth(registryHostOf(name), request.registryAuth, 'pull');
    if (refusal !== undefined) {
      // dockerd refuses before it starts streaming: the CLI prints "Error response from daemon".
      sendJson(res, 500, { message: `Head "https://${registryHostOf(name)}/v2/…/manifests/${tag}": ${refusal}` });
      return;
    }
    this.images.add(normalizeImageName(`${name}:${tag}`));
    const digest = `sha256:${createHash('sha256').update(`${name}:${tag}`).digest('hex')}`;
    streamJson(res, [
      { status: `Pulling from ${name.replace(/^[^/]+\//, '')}`, id: tag },
      { status: 'Pulling fs layer', progressDetail: {}, id: 'f00dfeedbeef' },
      { status: 'Pull complete', progressDetail: {}, id: 'f00dfeedbeef' },
      { status: `Digest: ${digest}` },
      { status: `Status: Downloaded newer image for ${name}:${tag}` },
    ]);
  }

  private push(name: string, request: DaemonRequest, res: ServerResponse): void {
    const tag = request.query.tag || 'latest';
    const refusal = this.checkAuth(registryHostOf(name), request.registryAuth, 'push');
    if (refusal !== undefined) {
      // Push errors arrive inside the stream, as dockerd sends them.
      streamJson(res, [{ status: `The push refers to repository [${name}]` }, { errorDetail: { message: refusal }, error: refusal }]);
      return;
    }
    const digest = `sha256:${randomBytes(32).toString('hex')}`;
    streamJson(res, [
      { status: `The push refers to repository [${name}]` },
      { status: 'Preparing', progressDetail: {}, id: 'f00dfeedbeef' },
      { status: 'Pushed', progressDetail: {}, id: 'f00dfeedbeef' },
      { status: `${tag}: digest: ${digest} size: 528` },
      { progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: 528 } },
    ]);
  }

  private inspectImage(name: string, res: ServerResponse): void {
    const withTag = normalizeImageName(name);
    if (!this.images.has(withTag)) {
      sendJson(res, 404, { message: `No such image: ${name}` });
      return;
    }
    const id = `sha256:${createHash('sha256').update(withTag).digest('hex')}`;
    sendJson(res, 200, { Id: id, RepoTags: [withTag], Os: 'linux', Architecture: 'amd64', Config: { Env: [] }, RootFS: { Type: 'layers', Layers: [] } });
  }

  private build(_request: DaemonRequest, res: ServerResponse): void {
    const id = `sha256:${randomBytes(32).toString('hex')}`;
    streamJson(res, [
      { stream: 'Step 1/1 : FROM scratch\n' },
      { stream: ' ---> Running in fake\n' },
      { aux: { ID: id } },
      { stream: `Successfully built ${id.slice(7, 19)}\n` },
    ]);
  }
}

function engineHeaders(): Record<string, string> {
  return { 'Api-Version': FAKE_API_VERSION, Ostype: 'linux', 'Docker-Experimental': 'false', 'Builder-Version': '1', Server: 'Docker/28.2.2 (linux)' };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { ...engineHeaders(), 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

function streamJson(res: ServerResponse, messages: readonly unknown[]): void {
  res.writeHead(200, { ...engineHeaders(), 'Content-Type': 'application/json' });
  for (const message of messages) res.write(`${JSON.stringify(message)}\r\n`);
  res.end();
}
