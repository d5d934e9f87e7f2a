/**
 * What `get` answers for a host that is not ECR: Docker's "no credentials here, go on"; when the
 * settings file cannot be read (it might have made the host an alias), that problem on stderr;
 * and for a host that looks like ECR but breaks its grammar, the reason on stderr and in the log
 * (docs/SPEC.md section 1). Shared by the full path (get.ts) and the fast path (cli/cache-hit.ts).
 */
import type { Logger } from '../logging/logger';
import { HELPER_NAME, NOT_FOUND } from '../protocol/messages';
import { failure, type Outcome } from '../protocol/outcome';
import { explainNearMiss } from '../registry/near-miss';

export function notEcr(serverUrl: string, settingsProblem: string | undefined, logger: Logger): Outcome {
  if (settingsProblem !== undefined) {
    logger.warn({ serverUrl, problem: settingsProblem }, 'settings file unusable');
    return failure(NOT_FOUND, `${HELPER_NAME}: ${settingsProblem}`);
  }
  const nearMiss = explainNearMiss(serverUrl);
  if (nearMiss === undefined) {
    logger.debug({ serverUrl }, 'not an ECR registry');
    return failure(NOT_FOUND);
  }
  // Still Docker's "go on without credentials"; the person at the terminal learns why.
  logger.warn({ serverUrl, reason: nearMiss }, 'looks like ECR but is not an ECR registry');
  return failure(NOT_FOUND, `${HELPER_NAME}: ${nearMiss}`);
}
