/**
 * The kubelet's `CredentialProviderRequest`, as its exec plugin protocol sends it on stdin
 * (k8s.io/kubelet/pkg/apis/credentialprovider, versions v1, v1beta1 and v1alpha1). Pure.
 *
 * Fields this plugin does not know are ignored, so that a newer kubelet's additions never break
 * a pull; the fields it reads are checked, and a bad one is refused in one line that never
 * repeats the service account token.
 */
export const API_GROUP = 'credentialprovider.kubelet.k8s.io';
export const API_VERSIONS = [`${API_GROUP}/v1`, `${API_GROUP}/v1beta1`, `${API_GROUP}/v1alpha1`] as const;
export type ApiVersion = (typeof API_VERSIONS)[number];
/** Service account tokens and annotations exist in v1 only (Kubernetes 1.33+). */
export const SERVICE_ACCOUNT_API_VERSION: ApiVersion = `${API_GROUP}/v1`;

export interface KubeletRequest {
  readonly apiVersion: ApiVersion;
  /** The image being pulled, as the pod names it: `host[:port]/repository[:tag|@digest]`. */
  readonly image: string;
  /** The pod's service account token, when the provider's config sets tokenAttributes. */
  readonly serviceAccountToken?: string;
  /** The service account's annotations the provider's config asks for. */
  readonly serviceAccountAnnotations: Readonly<Record<string, string>>;
}

export class KubeletRequestError extends Error {
  override readonly name = 'KubeletRequestError';
}

/** Reads one request; throws KubeletRequestError naming what is wrong. */
export function parseKubeletRequest(text: string): KubeletRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse's own message quotes the input, which may hold the token.
    throw new KubeletRequestError('invalid CredentialProviderRequest: stdin is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new KubeletRequestError('invalid CredentialProviderRequest: stdin is not a JSON object');
  }
  const fields = value as Record<string, unknown>;
  const apiVersion = API_VERSIONS.find((version) => version === fields.apiVersion);
  if (apiVersion === undefined) {
    const given = typeof fields.apiVersion === 'string' ? `apiVersion ${quote(fields.apiVersion)}` : 'no apiVersion';
    throw new KubeletRequestError(`unsupported CredentialProviderRequest: ${given}; this plugin speaks ${API_VERSIONS.join(', ')}`);
  }
  if (fields.kind !== 'CredentialProviderRequest') {
    const given = typeof fields.kind === 'string' ? `kind ${quote(fields.kind)}` : 'no kind';
    throw new KubeletRequestError(`invalid CredentialProviderRequest: ${given}, expected CredentialProviderRequest`);
  }
  if (typeof fields.image !== 'string' || fields.image.trim() === '') {
    throw new KubeletRequestError('invalid CredentialProviderRequest: it names no image');
  }
  const serviceAccountToken = optionalToken(fields.serviceAccountToken);
  const serviceAccountAnnotations = annotations(fields.serviceAccountAnnotations);
  if (apiVersion !== SERVICE_ACCOUNT_API_VERSION && (serviceAccountToken !== undefined || Object.keys(serviceAccountAnnotations).length > 0)) {
    throw new KubeletRequestError(`invalid CredentialProviderRequest: serviceAccountToken and serviceAccountAnnotations exist only in ${SERVICE_ACCOUNT_API_VERSION}`);
  }
  return {
    apiVersion,
    image: fields.image.trim(),
    ...(serviceAccountToken === undefined ? {} : { serviceAccountToken }),
    serviceAccountAnnotations,
  };
}

/** The kubelet leaves the token out when there is none (omitempty): empty is none too. */
function optionalToken(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new KubeletRequestError('invalid CredentialProviderRequest: serviceAccountToken is not a string');
  return value;
}

function annotations(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value) || !Object.values(value).every((entry) => typeof entry === 'string')) {
    throw new KubeletRequestError('invalid CredentialProviderRequest: serviceAccountAnnotations is not a map of strings');
  }
  return { ...(value as Record<string, string>) };
}

const MAX_QUOTED = 100;

/** A value from the request, quoted and cut short for an error line. */
export function quote(value: string): string {
  return JSON.stringify(value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}…` : value);
}

/**
 * The registry part of an image as the kubelet reads it: everything before the first `/`,
 * port included (`host:443/repo` → `host:443`). Undefined when that part is not a host name
 * with an optional port, which no ECR image has.
 */
export function registryOfImage(image: string): string | undefined {
  const registry = image.split('/', 1)[0] ?? '';
  return /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?$/.test(registry) ? registry : undefined;
}
