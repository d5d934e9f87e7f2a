/**
 * Who the AWS SDK's default chain will act as, decided from local configuration alone (docs/SPEC.md
 * section 5), so that a cached token can be found without resolving — or even loading — any
 * credentials. The decision is `decideCredentialSource`'s, which mirrors the SDK's chain step by
 * step; this module turns it into a hash. Only hashes leave this module: never a key id.
 *
 * Two identities never share a hash: what decides the identity goes into it (the key id, the
 * profile's name and settings down its whole source chain, the role ARN and token file, the
 * container URI, the metadata endpoint). When a profile can fail softly and let the SDK go on to
 * a later source, that later source goes into the hash too, so that whichever answers, the hash
 * names it. One identity keeps its hash while its temporary credentials rotate: secrets,
 * session tokens and expiry never go in. Pure: the environment and the files' text are passed in.
 */
import type { Environment } from '../config/settings';
import { sha256Hex } from '../hash/sha256';
import { decideCredentialSource, type FallbackSource, type SharedConfigTexts } from './credential-chain';

export type { SharedConfigTexts } from './credential-chain';

export type IdentitySource = 'environment' | 'profile' | 'web-identity' | 'container' | 'instance-metadata';

export interface IdentityFingerprint {
  readonly source: IdentitySource;
  /** A hash of what decides the identity; equal for one identity across runs. */
  readonly hash: string;
}

export function identityFingerprint(env: Environment, files: SharedConfigTexts): IdentityFingerprint {
  const decision = decideCredentialSource(env, files);
  switch (decision.source) {
    case 'environment':
      return fingerprint('environment', ['env', decision.accessKeyId]);
    case 'profile': {
      const { profile } = decision;
      const parts: unknown[] = ['profile', profile.name, profile.kind, profile.description];
      if (profile.mayFallThrough) parts.push(['or', fallbackParts(decision.fallback)]);
      return fingerprint('profile', parts);
    }
    default:
      return fingerprint(decision.source, fallbackParts(decision));
  }
}

function fallbackParts(fallback: FallbackSource): unknown[] {
  switch (fallback.source) {
    case 'web-identity':
      return ['web-identity', fallback.roleArn, fallback.tokenFile];
    case 'container':
      return ['container', fallback.uri];
    case 'instance-metadata':
      return ['instance-metadata', fallback.endpoint];
  }
}

function fingerprint(source: IdentitySource, parts: unknown[]): IdentityFingerprint {
  return { source, hash: sha256Hex(JSON.stringify(parts)).slice(0, 32) };
}
