/**
 * Who a plan's credentials act as, asked of STS (`GetCallerIdentity`): the account `configure`
 * names the registry of, and the first half of `doctor`'s live check. Bounded in time as a token
 * request is; a failure comes back as one line naming the cause.
 */
import { explainAwsFailure } from '../aws/errors';
import { stsEndpointOverride } from '../aws/endpoints';
import type { CallerIdentity } from '../aws/caller-identity';
import type { CredentialPlan } from '../identity/plan';
import type { HelperContext } from './context';
import { credentialSourcesOf, withinGetDeadline } from './token-service';

export type CallerAnswer = { readonly caller: CallerIdentity } | { readonly cause: string };

export async function askCallerIdentity(plan: CredentialPlan, region: string, context: HelperContext): Promise<CallerAnswer> {
  const { env, logger } = context;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { fetchCallerIdentity } = require('../aws/caller-identity') as typeof import('../aws/caller-identity');
    return { caller: await withinGetDeadline(() => fetchCallerIdentity(region, { env, logger, plan })) };
  } catch (error) {
    return { cause: explainAwsFailure(error, { api: 'STS', endpoint: stsEndpointOverride(env), credentialSources: credentialSourcesOf(plan, context) }) };
  }
}
