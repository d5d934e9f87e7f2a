/**
 * What docs/SPEC.md says the answers to `store` (section 1) and `get-credentials` (section 8) must
 * be, for the property tests of the verbs (stdin.test.ts) and of the real bin/.
 */
import assert from 'node:assert/strict';
import { modelRegistry, type ModelRegistry } from './ecr-host-model';

const API_VERSIONS = ['credentialprovider.kubelet.k8s.io/v1', 'credentialprovider.kubelet.k8s.io/v1beta1', 'credentialprovider.kubelet.k8s.io/v1alpha1'];

/** Section 1's table: `store` succeeds for a JSON object with a ServerURL and a Username, for an ECR host (or any host, when told to ignore storage). */
export function storeSucceeds(text: string, ignoreCredsStorage = false): boolean {
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return false;
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return false;
  const { ServerURL: url, Username: username } = payload as Record<string, unknown>;
  if (typeof url !== 'string' || url.trim() === '' || typeof username !== 'string' || username === '') return false;
  return ignoreCredsStorage || modelRegistry(url.trim()) !== undefined;
}

/**
 * The registry is the image's text before its first `/`, a host of section 2 with an optional
 * port. Served for certain when it is a domain as image references write it (distribution's
 * reference grammar: dot-separated labels of letters and digits with inner hyphens, an optional
 * numeric port); the kubelet refuses other images before it asks, so what is done with those (a
 * region label ending in `-`, say) is not asserted either way.
 */
function isImageDomain(text: string): boolean {
  const [host = '', port, ...more] = text.split(':');
  const alphanumeric = (char: string): boolean => /^[A-Za-z0-9]$/.test(char);
  const isLabel = (label: string): boolean =>
    label !== '' && alphanumeric(label.charAt(0)) && alphanumeric(label.charAt(label.length - 1)) && [...label].every((char) => alphanumeric(char) || char === '-');
  return more.length === 0 && host.split('.').every(isLabel) && (port === undefined || /^[0-9]+$/.test(port));
}

/** A request that is right in every field and asks for no pod identity: then only its image decides. */
function plainRequest(text: string): { image: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { apiVersion, kind, image, serviceAccountToken: token, serviceAccountAnnotations: annotations } = value as Record<string, unknown>;
  if (typeof apiVersion !== 'string' || !API_VERSIONS.includes(apiVersion) || kind !== 'CredentialProviderRequest') return undefined;
  if (typeof image !== 'string' || image.trim() === '' || !(token === undefined || token === null || token === '')) return undefined;
  if (!(annotations === undefined || annotations === null || (typeof annotations === 'object' && !Array.isArray(annotations) && Object.keys(annotations).length === 0))) return undefined;
  return { image: image.trim() };
}

/**
 * Checks one answer to the request `text`: a refusal is nothing on stdout and one line on stderr,
 * never for a plain request of an ECR image; a response is exactly what the kubelet decodes,
 * keyed by the image's registry as written, with a password `passwordOf` accepts. True when served.
 */
export function assertKubeletAnswer(
  text: string,
  answer: { readonly exitCode: number | null; readonly stdout: string; readonly stderr?: string },
  passwordOf: (registry: ModelRegistry, password: string) => boolean,
): boolean {
  const plain = plainRequest(text);
  const registryText = plain?.image.split('/', 1)[0] ?? '';
  const mustServe = plain !== undefined && isImageDomain(registryText) && modelRegistry(registryText) !== undefined;
  if (answer.exitCode === 1) {
    assert.equal(answer.stdout, '');
    assert.match(answer.stderr ?? '', /^docker-credential-ecr-login: [^\n]+\n$/);
    assert.equal(mustServe, false, `refused: ${text} → ${answer.stderr}`);
    return false;
  }
  assert.equal(answer.exitCode, 0);
  assert.match(answer.stdout, /^[^\n]+\n$/);
  const request = JSON.parse(text) as { apiVersion: string; image: string };
  const response = JSON.parse(answer.stdout) as { auth: Record<string, { username: string; password: string }> };
  const [key, ...others] = Object.keys(response.auth);
  const registry = modelRegistry(key ?? '');
  assert.ok(key !== undefined && others.length === 0 && registry !== undefined && /^[^?#@\\\s]+$/.test(key), `served for a registry that is no host of section 2: ${answer.stdout}`);
  assert.equal(request.image.trim().split('/', 1)[0], key, 'keyed by the registry as the image writes it');
  const password = response.auth[key]?.password ?? '';
  assert.ok(passwordOf(registry, password), `the password for ${registry.host}`);
  const duration = /"cacheDuration":"((\d+h)?(\d+m)?\d+s)"/.exec(answer.stdout)?.[1];
  assert.equal(
    answer.stdout,
    `{"apiVersion":${JSON.stringify(request.apiVersion)},"kind":"CredentialProviderResponse","cacheKeyType":"Registry","cacheDuration":"${duration}","auth":{${JSON.stringify(key)}:{"username":"AWS","password":${JSON.stringify(password)}}}}\n`,
  );
  return true;
}
