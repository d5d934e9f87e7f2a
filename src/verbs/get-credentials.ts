/**
 * `get-credentials`: the kubelet's image credential provider (also what the executable answers
 * when called as `ecr-credential-provider`). A CredentialProviderRequest on stdin, a
 * CredentialProviderResponse on stdout, the token from the same cache and single flight as `get`.
 *
 * Whose token: the node's (the default chain, sharing `get`'s cache entries), or, when the
 * request carries a pod's service account token and a role is named for it, that role assumed
 * with the token, cached per role and per token issuer and subject.
 */
import { DEFAULT_CHAIN, webIdentityPlan, type CredentialPlan } from '../identity/plan';
import { WebIdentityTokenError } from '../identity/web-identity-token';
import { podRoleArn } from '../kubelet/pod-role';
import { parseKubeletRequest, quote, registryOfImage, KubeletRequestError, type KubeletRequest } from '../kubelet/request';
import { cacheDurationFor, credentialProviderResponse, kubeletRefusal } from '../kubelet/response';
import { InputError } from '../protocol/input';
import { success, type Outcome } from '../protocol/outcome';
import { parseRegistry } from '../registry/parse';
import type { HelperContext } from '../service/context';
import { obtainToken, TokenUnavailableError } from '../service/token-service';

/** A request with a service account token and its annotations reaches several KiB; `get`'s 4 KiB is too small. */
export const KUBELET_INPUT_LIMIT_BYTES = 64 * 1024;

export async function getCredentials(readInput: () => Promise<string>, context: HelperContext): Promise<Outcome> {
  const refuse = (reason: string): Outcome => {
    context.logger.warn({ reason }, 'kubelet request refused');
    return kubeletRefusal(reason);
  };
  let request: KubeletRequest;
  let plan: CredentialPlan;
  try {
    request = parseKubeletRequest(await readInput());
    plan = planFor(request, context);
  } catch (error) {
    if (error instanceof InputError || error instanceof KubeletRequestError || error instanceof WebIdentityTokenError) return refuse(error.message);
    throw error;
  }

  const named = registryOfImage(request.image);
  const registry = named === undefined ? undefined : parseRegistry(named);
  if (named === undefined || registry === undefined) return refuse(`not an ECR image: ${quote(request.image)}`);

  try {
    const { served, warning } = await obtainToken({ registry, plan }, context);
    const cacheDuration = cacheDurationFor(served.token.expiresAt, served.freshUntil, context.clock.now());
    return success(credentialProviderResponse(request.apiVersion, named, served.token, cacheDuration), warning);
  } catch (error) {
    if (!(error instanceof TokenUnavailableError)) throw error;
    // On a non-zero exit the kubelet pulls without credentials: enough for ECR Public.
    return kubeletRefusal(
      registry.kind === 'public'
        ? `cannot get an ECR Public token, pulling anonymously: ${error.message}`
        : `cannot get an ECR token for ${registry.host}: ${error.message}`,
    );
  }
}

/**
 * A pod's token with a role: that role, assumed with the token. A token and no role: the
 * node's credentials, as cloud-provider-aws does (a provider config that lists the annotation
 * in requiredServiceAccountAnnotationKeys keeps such pods from being served at all).
 */
function planFor(request: KubeletRequest, context: HelperContext): CredentialPlan {
  const token = request.serviceAccountToken;
  if (token === undefined) return DEFAULT_CHAIN;
  const roleArn = podRoleArn(request.serviceAccountAnnotations, context.settings.podRoleArn);
  if (roleArn === undefined) {
    context.logger.debug({}, 'service account token given but no role named for it: using the node credentials');
    return DEFAULT_CHAIN;
  }
  return webIdentityPlan(roleArn, token);
}
