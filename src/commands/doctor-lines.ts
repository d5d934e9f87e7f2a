/**
 * `doctor`'s judgements, in words: which credential source a plan will use, what the settings
 * say for a registry, which API endpoint a registry's call goes to, how fresh a cached token
 * is. Pure: never a key id, a secret or a token, only names, paths, ARNs and hashes.
 */
import { endpointOverride, endpointVariant } from '../aws/endpoints';
import { isFresh, isUnexpired, type CacheEntry } from '../cache/entry';
import type { RegistrySetting } from '../config/registry-settings';
import type { Environment } from '../config/settings';
import { decideCredentialSource, type ChainDecision, type FallbackSource, type ProfileKind, type SharedConfigTexts } from '../identity/credential-chain';
import { chainEnvironment, type CredentialPlan } from '../identity/plan';
import { ECR_PUBLIC_REGION, type EcrRegistry } from '../registry/parse';

export interface SourceVerdict {
  readonly text: string;
  /** Set when the chain has nothing to try: what to do about it. */
  readonly problem?: string;
}

const PROFILE_KINDS: Record<ProfileKind, string> = {
  role: 'assumes a role',
  static: 'static keys',
  'web-identity': 'web identity',
  process: 'credential_process',
  sso: 'IAM Identity Center (SSO)',
  login: 'login session',
};

/** The credential source a plan will take its credentials from, decided as the SDK's chain would. */
export function describePlanSource(plan: CredentialPlan, env: Environment, files: SharedConfigTexts): SourceVerdict {
  switch (plan.kind) {
    case 'web-identity':
      return { text: `web identity token of ${plan.subject}, for role ${plan.roleArn}` };
    case 'assume-role': {
      const source = describePlanSource(plan.source, env, files);
      return { ...source, text: `${source.text}, then assumes role ${plan.roleArn} as session "${plan.sessionName}"` };
    }
    case 'default-chain': {
      const chainEnv = chainEnvironment(plan, env);
      const decision = decideCredentialSource(chainEnv, files);
      const verdict = describeDecision(decision);
      const wanted = chainEnv.AWS_PROFILE;
      if (wanted && decision.source !== 'profile' && decision.source !== 'environment') {
        return {
          text: `profile "${wanted}" gives no credentials; then ${verdict.text}`,
          problem: `profile "${wanted}" is not in the AWS config or credentials file, or holds no credentials: add it (aws configure --profile ${wanted}) or name another`,
        };
      }
      return verdict;
    }
  }
}

function describeDecision(decision: ChainDecision): SourceVerdict {
  switch (decision.source) {
    case 'environment':
      return { text: 'environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY' };
    case 'profile': {
      const { profile } = decision;
      const role = profile.roleArn === undefined ? '' : ` ${profile.roleArn}`;
      const fallback = profile.mayFallThrough ? `, else ${describeDecision(decision.fallback).text}` : '';
      return { text: `profile "${profile.name}" (${PROFILE_KINDS[profile.kind]}${role})${fallback}` };
    }
    default:
      return describeFallback(decision);
  }
}

function describeFallback(fallback: FallbackSource): SourceVerdict {
  switch (fallback.source) {
    case 'web-identity':
      return { text: `web identity token file ${fallback.tokenFile}, for role ${fallback.roleArn}` };
    case 'container':
      return { text: `container credentials at ${fallback.uri}` };
    case 'instance-metadata':
      if (fallback.disabled) {
        return {
          text: 'none (no keys, no profile, EC2 instance metadata disabled by AWS_EC2_METADATA_DISABLED)',
          problem: 'no AWS credential source: set AWS_PROFILE to a profile of ~/.aws/config, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
        };
      }
      return { text: `EC2 instance metadata at ${fallback.endpoint} (the instance role; nothing else is configured)` };
  }
}

/** What the settings file says for a registry, in words. */
export function describeSetting(setting: RegistrySetting | undefined): string {
  if (setting === undefined) return 'nothing: the default credential chain';
  const parts = [
    setting.registry === undefined ? undefined : `an alias of ${setting.registry}`,
    setting.profile === undefined ? undefined : `profile "${setting.profile}"`,
    setting.roleArn === undefined ? undefined : `role ${setting.roleArn}`,
  ].filter((part): part is string => part !== undefined);
  return parts.length === 0 ? 'an empty entry: the default credential chain' : parts.join(', ');
}

/** The API call a registry's token costs: service, region and endpoint. */
export function describeApi(registry: EcrRegistry, env: Environment): string {
  const api = registry.kind === 'private' ? `ECR GetAuthorizationToken in ${registry.region}` : `ECR Public GetAuthorizationToken in ${ECR_PUBLIC_REGION}`;
  const override = endpointOverride(registry, env);
  if (override !== undefined) return `${api}, at the endpoint override ${override}`;
  const { useFipsEndpoint, useDualstackEndpoint } = endpointVariant(registry, env);
  const variant = [useFipsEndpoint ? 'FIPS' : '', useDualstackEndpoint ? 'dual-stack' : ''].filter(Boolean).join(' ') || 'standard';
  return `${api}, at its ${variant} endpoint`;
}

/** One cached token, for a person: its registry, when it dies, and whose it is. */
export function describeEntry(entry: CacheEntry, now: number): string {
  const state = isFresh(entry, now) ? 'fresh' : isUnexpired(entry, now) ? 'due for refresh' : 'expired';
  return `${entry.registry}: expires ${new Date(entry.expiresAt).toISOString()} (${state}), identity ${shortHash(entry.identity)}`;
}

/** The short form of an identity fingerprint, as `doctor` shows it. */
export function shortHash(hash: string): string {
  return hash.slice(0, 12);
}
