/**
 * STS `GetCallerIdentity` with a plan's credentials: which account `configure` sets Docker up
 * for, and the first half of `doctor`'s live check (do these credentials work at all). The AWS
 * SDK's STS client is loaded only when it is called; credentials, time limits and the wording
 * of a credentials failure are fetch-token.ts's, so that both calls behave alike.
 */
import { stsEndpointOverride } from './endpoints';
import { ExplainedError } from './errors';
import { credentialsProvider, explainCredentials, NETWORK_LIMITS, requestHandler, type FetchContext } from './fetch-token';

/** Who a plan's credentials act as, in STS's words. */
export interface CallerIdentity {
  readonly account: string;
  readonly arn: string;
}

export async function fetchCallerIdentity(region: string, context: FetchContext): Promise<CallerIdentity> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { STSClient, GetCallerIdentityCommand } = require('@aws-sdk/client-sts') as typeof import('@aws-sdk/client-sts');
  const endpoint = stsEndpointOverride(context.env);
  context.logger.debug({ region, endpoint }, 'calling GetCallerIdentity');
  const client = new STSClient({
    region,
    credentials: credentialsProvider(context.plan ?? { kind: 'default-chain' }, context),
    requestHandler: requestHandler(context.env),
    maxAttempts: NETWORK_LIMITS.credentialServiceMaxAttempts,
    ...(endpoint === undefined ? {} : { endpoint }),
  });
  try {
    const answer = await client.send(new GetCallerIdentityCommand({}));
    if (!answer.Account || !answer.Arn) throw new ExplainedError('STS GetCallerIdentity answered without an account');
    return { account: answer.Account, arn: answer.Arn };
  } catch (error) {
    throw explainCredentials(error, context);
  } finally {
    client.destroy();
  }
}
