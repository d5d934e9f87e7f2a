/**
 * `get`: the server URL on stdin, the registry's credentials as JSON on stdout.
 */
import { explainAwsFailure, withDeadline } from '../aws/errors';
import { endpointOverride } from '../aws/endpoints';
import { describeCredentialSources } from '../identity/credential-sources';
import { MISSING_SERVER_URL, NOT_FOUND } from '../protocol/messages';
import { failure, success, type Outcome } from '../protocol/outcome';
import { parseRegistry } from '../registry/parse';
import type { VerbContext } from './context';

/** The longest a `get` waits on AWS in all, retries included: a hang must not block a pull. */
export const GET_DEADLINE_MS = 15_000;

export async function get(input: string, context: VerbContext): Promise<Outcome> {
  const serverUrl = input.trim();
  if (serverUrl === '') return failure(MISSING_SERVER_URL);

  const registry = parseRegistry(serverUrl);
  if (registry === undefined) {
    context.logger.debug({ serverUrl }, 'not an ECR registry');
    return failure(NOT_FOUND);
  }

  const api = registry.kind === 'private' ? 'ECR' : 'ECR Public';
  try {
    const token = await withDeadline(
      context.fetchToken()(registry, { env: context.env, logger: context.logger }),
      GET_DEADLINE_MS,
      `no answer from AWS within ${GET_DEADLINE_MS / 1000} s`,
    );
    context.logger.info({ registry: registry.host, expiresAt: token.expiresAt.toISOString() }, 'token issued');
    return success(`${JSON.stringify({ ServerURL: serverUrl, Username: token.username, Secret: token.secret })}\n`);
  } catch (error) {
    const cause = explainAwsFailure(error, {
      api,
      endpoint: endpointOverride(registry, context.env),
      credentialSources: describeCredentialSources(context.env, context.homeDir),
    });
    context.logger.error({ registry: registry.host, cause, err: error }, 'cannot get a token');
    if (registry.kind === 'public') {
      // Anonymous pulls work on ECR Public: let Docker go on without credentials.
      return failure(NOT_FOUND, `docker-credential-ecr-login: cannot get an ECR Public token, pulling anonymously: ${cause}`);
    }
    const message = `cannot get an ECR token for ${registry.host}: ${cause}`;
    return failure(message, `docker-credential-ecr-login: ${message}`);
  }
}
