/**
 * Run as a child process: resolves AWS credentials with the real SDK's default Node chain, with
 * the options the helper gives it (`credentialChainOptions`), once per environment read as a
 * JSON array on stdin, and prints a JSON array of outcomes: the access key id the chain ended
 * with, or that it failed. Each environment replaces process.env whole while it is resolved,
 * because the SDK reads its settings there. A child process keeps the SDK's process-wide state
 * (its file cache, and what its parser writes onto inherited object properties) out of the
 * test runner; give each environment its own file paths, since the SDK caches files by path.
 */
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { credentialChainOptions } from '../../src/aws/fetch-token';
import { silentLogger } from '../../src/logging/logger';

export type ChainOutcome = { readonly accessKeyId: string } | { readonly failed: string };

const PER_RESOLUTION_MS = 15_000;

async function resolve(env: Record<string, string>): Promise<ChainOutcome> {
  for (const name of Object.keys(process.env)) delete process.env[name];
  Object.assign(process.env, env);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no credentials within the time bound')), PER_RESOLUTION_MS);
  });
  try {
    const credentials = await Promise.race([fromNodeProviderChain(credentialChainOptions(env, silentLogger))(), timeout]);
    return { accessKeyId: credentials.accessKeyId };
  } catch (error) {
    return { failed: error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const environments = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Array<Record<string, string>>;
  const outcomes: ChainOutcome[] = [];
  for (const env of environments) outcomes.push(await resolve(env));
  process.stdout.write(`${JSON.stringify(outcomes)}\n`, () => process.exit(0));
}

if (require.main === module) void main();
