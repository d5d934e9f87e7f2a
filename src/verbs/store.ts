/**
 * `store` and `erase`: `docker login` and `docker logout` call them after `get`. The helper
 * mints a fresh token on every `get`, so there is nothing to keep: for ECR hosts both succeed
 * without storing anything (the Go helper's `not implemented` broke `docker login`).
 */
import { MISSING_SERVER_URL, MISSING_USERNAME, NOT_IMPLEMENTED } from '../protocol/messages';
import { failure, success, type Outcome } from '../protocol/outcome';
import { isEcrHost } from '../registry/parse';
import type { HelperContext } from '../service/context';

interface StoredCredentials {
  readonly serverUrl: string;
  readonly username: string;
}

export function store(input: string, context: HelperContext): Outcome {
  const parsed = parseStorePayload(input);
  if (typeof parsed === 'string') return failure(parsed);
  return acceptWithoutStoring('store', parsed.serverUrl, context);
}

export function erase(input: string, context: HelperContext): Outcome {
  const serverUrl = input.trim();
  if (serverUrl === '') return failure(MISSING_SERVER_URL);
  return acceptWithoutStoring('erase', serverUrl, context);
}

function acceptWithoutStoring(verb: 'store' | 'erase', serverUrl: string, context: HelperContext): Outcome {
  const ecr = isEcrHost(serverUrl);
  if (!ecr && !context.settings.ignoreCredsStorage) {
    context.logger.info({ serverUrl }, `${verb}: not an ECR registry, not implemented`);
    return failure(NOT_IMPLEMENTED);
  }
  context.logger.info(
    { serverUrl, reason: ecr ? 'ECR registry' : 'AWS_ECR_IGNORE_CREDS_STORAGE=true' },
    `${verb}: nothing stored; every get mints its own token`,
  );
  return success();
}

/** The protocol's error line for a bad payload, or the fields `store` needs. The secret is never kept. */
function parseStorePayload(input: string): StoredCredentials | string {
  let payload: unknown;
  try {
    payload = JSON.parse(input);
  } catch {
    return 'invalid credentials payload: expected JSON {"ServerURL":…,"Username":…,"Secret":…}';
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return 'invalid credentials payload: expected a JSON object';
  }
  const { ServerURL: serverUrl, Username: username } = payload as Record<string, unknown>;
  if (serverUrl !== undefined && serverUrl !== null && typeof serverUrl !== 'string') {
    return 'invalid credentials payload: ServerURL must be a string';
  }
  if (username !== undefined && username !== null && typeof username !== 'string') {
    return 'invalid credentials payload: Username must be a string';
  }
  if (!serverUrl?.trim()) return MISSING_SERVER_URL;
  if (!username) return MISSING_USERNAME;
  return { serverUrl: serverUrl.trim(), username };
}
