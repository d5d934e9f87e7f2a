/**
 * The kubelet's `CredentialProviderResponse`, and how long the kubelet may keep it. Pure.
 *
 * The kubelet decodes the answer strictly (an unknown field fails the pull), so the answer holds
 * exactly the fields of the version asked for, which are the same in v1, v1beta1 and v1alpha1.
 * On a non-zero exit it ignores stdout, logs stderr and pulls without credentials: a refusal is
 * one line on stderr and nothing on stdout.
 */
import type { RegistryCredentials } from '../aws/authorization-token';
import { HELPER_NAME } from '../protocol/messages';
import { oneLine, type Outcome } from '../protocol/outcome';
import type { ApiVersion } from './request';

/**
 * The answer for one image: its credentials keyed by the registry exactly as the image names
 * it, port included (the kubelet only matches a key whose port equals the image's), cached by
 * the kubelet per registry for `cacheDuration`.
 */
export function credentialProviderResponse(apiVersion: ApiVersion, registry: string, credentials: RegistryCredentials, cacheDuration: string): string {
  const response = {
    apiVersion,
    kind: 'CredentialProviderResponse',
    cacheKeyType: 'Registry',
    cacheDuration,
    auth: { [registry]: { username: credentials.username, password: credentials.secret } },
  };
  return `${JSON.stringify(response)}\n`;
}

export function kubeletRefusal(message: string): Outcome {
  return { exitCode: 1, stdout: '', stderr: `${HELPER_NAME}: ${oneLine(message)}\n` };
}

/**
 * How long the kubelet may keep a token, as a Go duration in whole seconds: until our own cache
 * would refresh it (`freshUntil`), else (cache off) half its remaining life; never past its
 * expiry. Rounded down, so it never ends late; `0s` (do not cache) once that moment has passed.
 */
export function cacheDurationFor(expiresAt: Date, freshUntil: Date | undefined, now: number): string {
  const refreshAt = freshUntil?.getTime() ?? now + (expiresAt.getTime() - now) / 2;
  return goDuration(Math.floor((Math.min(refreshAt, expiresAt.getTime()) - now) / 1000));
}

/** Whole seconds as Go's time.Duration prints them: `5h59m58s`, `59m0s`, `42s`, `0s`. */
export function goDuration(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  if (hours > 0) return `${hours}h${minutes}m${rest}s`;
  if (minutes > 0) return `${minutes}m${rest}s`;
  return `${rest}s`;
}
