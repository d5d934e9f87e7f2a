/**
 * Running the real Docker CLI against the fake daemon, with the helper on PATH and the ECR
 * emulator's settings in the CLI's own environment (the CLI passes its environment to helpers).
 */
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { EcrEmulator } from './ecr-emulator';
import { runCommand, type Env, type HelperResult } from './helper-process';

/** The first executable called `name` on PATH, or undefined. */
export function findOnPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export const DOCKER_BIN = findOnPath('docker');

/** Why the Docker CLI tests cannot run here, or undefined when they can. */
export function dockerCliUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `the fake Docker daemon listens on a unix socket; this is ${process.platform}`;
  if (DOCKER_BIN === undefined) return 'the Docker CLI (`docker`) is not on PATH: install docker-ce-cli or docker.io to run these tests';
  return undefined;
}

/** The environment the helper needs to reach the emulator, as a user would export it. */
export function emulatorEnv(emulator: EcrEmulator, accessKeyId: string, secretAccessKey: string): Env {
  return {
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    AWS_ENDPOINT_URL_ECR: emulator.url,
    AWS_ENDPOINT_URL_ECR_PUBLIC: emulator.url,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** Writes `<dir>/config.json` (0600 in a 0700 directory, as `docker login` leaves it). */
export function writeDockerConfig(dir: string, config: unknown): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'config.json');
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  return file;
}

export function runDocker(args: readonly string[], options: { env: Env; input?: string; cwd?: string; timeoutMs?: number }): Promise<HelperResult> {
  if (DOCKER_BIN === undefined) throw new Error('docker is not on PATH');
  return runCommand(DOCKER_BIN, args, { timeoutMs: 60_000, ...options });
}

/** For assertion messages: everything a failed CLI run said. */
export function describeRun(result: HelperResult): string {
  return `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
}
