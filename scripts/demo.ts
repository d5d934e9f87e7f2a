/**
 * `npm run demo`: the helper's main job end to end, with no AWS account. It starts the
 * project's loopback ECR emulator, points the helper at it, and runs `get` the way Docker
 * does for a private registry, for ECR Public, and for a registry that is not ECR.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEcrEmulator } from '../test/support/ecr-emulator';
import { runHelper } from '../test/support/helper-process';

const DEMO_KEY_ID = 'AKIDEXAMPLEDEMO';
const DEMO_SECRET = 'demo-secret-access-key';

async function demo(): Promise<void> {
  const emulator = await startEcrEmulator({ credentials: { [DEMO_KEY_ID]: DEMO_SECRET } });
  const home = mkdtempSync(join(tmpdir(), 'ecr-login-demo-'));
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    AWS_ACCESS_KEY_ID: DEMO_KEY_ID,
    AWS_SECRET_ACCESS_KEY: DEMO_SECRET,
    AWS_ENDPOINT_URL_ECR: emulator.url,
    AWS_ENDPOINT_URL_ECR_PUBLIC: emulator.url,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  console.log(`ECR emulator listening on ${emulator.url} (AWS_ENDPOINT_URL_ECR and AWS_ENDPOINT_URL_ECR_PUBLIC point there)\n`);
  let failures = 0;
  try {
    for (const [registry, expectToken] of [
      ['123456789012.dkr.ecr.eu-west-1.amazonaws.com', true],
      ['public.ecr.aws', true],
      ['registry-1.docker.io', false],
    ] as const) {
      console.log(`$ echo ${registry} | docker-credential-ecr-login get`);
      // Asynchronous: the emulator answers from this very process.
      const run = await runHelper(['get'], { input: `${registry}\n`, env });
      console.log(shorten(run.stdout).trimEnd());
      console.log(`(exit status ${run.code})\n`);
      if ((run.code === 0) !== expectToken) failures += 1;
    }
    console.log('What the emulator saw:');
    for (const call of emulator.calls) {
      console.log(`  ${call.service} GetAuthorizationToken region=${call.region} key=${call.accessKeyId} registryIds=${JSON.stringify(call.registryIds)} → HTTP ${call.status}`);
    }
  } finally {
    await emulator.close();
    rmSync(home, { recursive: true, force: true });
  }
  if (failures > 0) {
    console.error(`demo: ${failures} step(s) did not answer as expected`);
    process.exitCode = 1;
  } else {
    console.log('\ndemo: private and public tokens issued; the Docker Hub host was left to anonymous access.');
  }
}

/** Real tokens are ~2 KB: show the start of the secret and its length, as a person wants to see it. */
function shorten(stdout: string): string {
  return stdout.replace(/"Secret":"([^"]{24})([^"]*)"/, (_all, head: string, rest: string) => `"Secret":"${head}…" (${head.length + rest.length} characters)`);
}

void demo();
