/**
 * One `docker pull` by the real Docker CLI through whichever `docker-credential-ecr-login` a
 * PATH holds (`credHelpers`), against the fake daemon and the ECR emulator: for the tests of
 * the standalone executable and the check of the installed .deb (scripts/check-deb.ts). The
 * daemon accepts only username AWS with a token the emulator issued.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runDocker, writeDockerConfig } from './docker-cli';
import { startEcrEmulator, type IssuedToken } from './ecr-emulator';
import { startFakeDockerDaemon, type RegistryAuth } from './fake-docker-daemon';
import type { Env, HelperResult } from './helper-process';

export const PULL_HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const KEY_ID = 'AKIDDOCKERPULL';
const SECRET_KEY = 'docker-pull-secret-access-key';

export interface DockerPull {
  readonly result: HelperResult;
  /** Tokens the emulator issued during the pull. */
  readonly issued: readonly IssuedToken[];
  /** What the CLI handed the daemon with the pull request. */
  readonly auth: RegistryAuth | undefined;
}

/**
 * Pulls `<ecr-host>/app:tag` with `PATH=<path>` and a fresh HOME and Docker config under
 * `root`; `extra` is added to the CLI's environment, which the helper inherits.
 */
export async function dockerPullThrough(root: string, path: string, extra: Env = {}): Promise<DockerPull> {
  const emulator = await startEcrEmulator({ credentials: { [KEY_ID]: SECRET_KEY } });
  const daemon = await startFakeDockerDaemon({
    checkAuth: (host, auth) => {
      if (host !== PULL_HOST) return undefined;
      if (auth === undefined || !auth.username) return 'no basic auth credentials';
      return auth.username === 'AWS' && emulator.issued.some((token) => token.password === auth.password) ? undefined : 'denied';
    },
  });
  try {
    const home = join(root, 'home');
    mkdirSync(home, { recursive: true });
    const configDir = join(root, 'docker-config');
    writeDockerConfig(configDir, { credHelpers: { [PULL_HOST]: 'ecr-login' } });
    const env: Env = {
      PATH: path,
      HOME: home,
      LANG: 'C.UTF-8',
      DOCKER_CONFIG: configDir,
      DOCKER_HOST: daemon.dockerHost,
      AWS_ACCESS_KEY_ID: KEY_ID,
      AWS_SECRET_ACCESS_KEY: SECRET_KEY,
      AWS_ENDPOINT_URL_ECR: emulator.url,
      AWS_EC2_METADATA_DISABLED: 'true',
      ...extra,
    };
    const result = await runDocker(['pull', `${PULL_HOST}/app:tag`], { env, cwd: home });
    return { result, issued: [...emulator.issued], auth: daemon.credentialRequests()[0]?.registryAuth };
  } finally {
    await daemon.close();
    await emulator.close();
  }
}
