/**
 * Whose AWS credentials a registry's token is minted with. Every caller of the token service
 * (Docker's `get`, the kubelet's `get-credentials`, `get-login-password`) states one plan; the
 * cache keys the token by the plan's fingerprint and the fetcher builds the SDK's credentials
 * from it, so that the two can never disagree about who is asking. Pure.
 */
import type { Environment } from '../config/settings';
import { sha256Hex } from '../hash/sha256';
import { identityFingerprint, type SharedConfigTexts } from './fingerprint';
import { readWebIdentityClaims, sessionNameFor } from './web-identity-token';

/** The SDK's default Node chain, as the environment sets it up, or for one named profile. */
export interface DefaultChainPlan {
  readonly kind: 'default-chain';
  /** A profile chosen for this registry, taking the place of AWS_PROFILE. */
  readonly profile?: string;
}

/** STS AssumeRole, with the default chain (or a named profile) as the source credentials. */
export interface AssumeRolePlan {
  readonly kind: 'assume-role';
  readonly roleArn: string;
  readonly sessionName: string;
  readonly source: DefaultChainPlan;
}

/** STS AssumeRoleWithWebIdentity with a token handed over by the caller (a pod's service account). */
export interface WebIdentityPlan {
  readonly kind: 'web-identity';
  readonly roleArn: string;
  readonly sessionName: string;
  /** The token itself: a secret, never logged and never part of a fingerprint. */
  readonly token: string;
  /** Who issued the token (`iss`): the same subject in two clusters is two identities. */
  readonly issuer: string;
  /** Who the token speaks for (`sub`): the cache separates tokens by it and by the issuer. */
  readonly subject: string;
}

export type CredentialPlan = DefaultChainPlan | AssumeRolePlan | WebIdentityPlan;

export const DEFAULT_CHAIN: DefaultChainPlan = { kind: 'default-chain' };

/**
 * The plan for a role assumed with a caller's web identity token; the session is named after
 * the token's subject. Throws WebIdentityTokenError when the token is not a JWT.
 */
export function webIdentityPlan(roleArn: string, token: string): WebIdentityPlan {
  const { issuer, subject } = readWebIdentityClaims(token);
  return { kind: 'web-identity', roleArn, sessionName: sessionNameFor(subject), token, issuer, subject };
}

/** The environment the SDK's default chain sees under this plan: a chosen profile is AWS_PROFILE. */
export function chainEnvironment(plan: DefaultChainPlan, env: Environment): Environment {
  return plan.profile === undefined ? env : { ...env, AWS_PROFILE: plan.profile };
}

/**
 * A hash naming the identity a plan acts as, from local configuration only. Plans that may act
 * as different principals never share a hash; one plan keeps its hash while its temporary
 * credentials rotate.
 */
export function planFingerprint(plan: CredentialPlan, env: Environment, files: SharedConfigTexts): string {
  switch (plan.kind) {
    case 'default-chain':
      return identityFingerprint(chainEnvironment(plan, env), files).hash;
    case 'assume-role':
      return hashParts(['assume-role', plan.roleArn, planFingerprint(plan.source, env, files)]);
    case 'web-identity':
      return hashParts(['web-identity', plan.roleArn, plan.issuer, plan.subject]);
  }
}

function hashParts(parts: unknown[]): string {
  return sha256Hex(JSON.stringify(parts)).slice(0, 32);
}
