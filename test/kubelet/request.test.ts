import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { podRoleArn, ROLE_ANNOTATION } from '../../src/kubelet/pod-role';
import { KubeletRequestError, parseKubeletRequest, registryOfImage } from '../../src/kubelet/request';

const V1 = 'credentialprovider.kubelet.k8s.io/v1';
const IMAGE = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/team/app:1.2';
const request = (fields: Record<string, unknown>): string => JSON.stringify({ apiVersion: V1, kind: 'CredentialProviderRequest', image: IMAGE, ...fields });

function refusal(text: string, message: RegExp): void {
  assert.throws(
    () => parseKubeletRequest(text),
    (error: unknown) => {
      assert.ok(error instanceof KubeletRequestError, String(error));
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, /\n|SECRETTOKEN/);
      return true;
    },
  );
}

describe('parseKubeletRequest', () => {
  for (const version of ['v1', 'v1beta1', 'v1alpha1']) {
    it(`reads a ${version} request as the kubelet encodes it`, () => {
      const apiVersion = `credentialprovider.kubelet.k8s.io/${version}`;
      assert.deepEqual(parseKubeletRequest(`{"kind":"CredentialProviderRequest","apiVersion":"${apiVersion}","image":"${IMAGE}"}\n`), {
        apiVersion,
        image: IMAGE,
        serviceAccountAnnotations: {},
      });
    });
  }

  it('reads a v1 service account token and annotations', () => {
    const annotations = { [ROLE_ANNOTATION]: 'arn:aws:iam::111122223333:role/puller', 'example.com/other': 'x' };
    assert.deepEqual(parseKubeletRequest(request({ serviceAccountToken: 'a.b.c', serviceAccountAnnotations: annotations })), {
      apiVersion: V1,
      image: IMAGE,
      serviceAccountToken: 'a.b.c',
      serviceAccountAnnotations: annotations,
    });
  });

  it('takes an empty or null token and null annotations as none, and ignores fields it does not know', () => {
    assert.deepEqual(parseKubeletRequest(request({ serviceAccountToken: '', serviceAccountAnnotations: null, futureField: { x: 1 } })), {
      apiVersion: V1,
      image: IMAGE,
      serviceAccountAnnotations: {},
    });
  });

  const cases: Array<[string, string, RegExp]> = [
    ['text that is not JSON (without quoting it)', '{"serviceAccountToken":"SECRETTOKEN"', /^invalid CredentialProviderRequest: stdin is not valid JSON$/],
    ['empty input', '', /not valid JSON/],
    ['a JSON array', '[]', /not a JSON object/],
    ['JSON null', 'null', /not a JSON object/],
    ['no apiVersion', JSON.stringify({ kind: 'CredentialProviderRequest', image: IMAGE }), /^unsupported CredentialProviderRequest: no apiVersion; this plugin speaks credentialprovider\.kubelet\.k8s\.io\/v1, credentialprovider\.kubelet\.k8s\.io\/v1beta1, credentialprovider\.kubelet\.k8s\.io\/v1alpha1$/],
    ['an unknown apiVersion', request({ apiVersion: 'credentialprovider.kubelet.k8s.io/v2' }), /apiVersion "credentialprovider\.kubelet\.k8s\.io\/v2"; this plugin speaks/],
    ['another group', request({ apiVersion: 'client.authentication.k8s.io/v1' }), /unsupported CredentialProviderRequest: apiVersion "client\.authentication\.k8s\.io\/v1"/],
    ['a huge apiVersion, cut short', request({ apiVersion: 'v'.repeat(5000) }), /apiVersion "v{100}…"/],
    ['no kind', request({ kind: undefined }), /no kind, expected CredentialProviderRequest/],
    ['another kind', request({ kind: 'CredentialProviderResponse' }), /kind "CredentialProviderResponse", expected CredentialProviderRequest/],
    ['no image', request({ image: undefined }), /it names no image/],
    ['an empty image', request({ image: '  ' }), /it names no image/],
    ['an image that is not a string', request({ image: 42 }), /it names no image/],
    ['a token that is not a string', request({ serviceAccountToken: { value: 'SECRETTOKEN' } }), /serviceAccountToken is not a string/],
    ['annotations that are not a map of strings', request({ serviceAccountAnnotations: { a: 1 } }), /serviceAccountAnnotations is not a map of strings/],
    ['annotations that are a list', request({ serviceAccountAnnotations: ['SECRETTOKEN'] }), /serviceAccountAnnotations is not a map of strings/],
    ['a token in v1beta1', request({ apiVersion: 'credentialprovider.kubelet.k8s.io/v1beta1', serviceAccountToken: 'SECRETTOKEN' }), /exist only in credentialprovider\.kubelet\.k8s\.io\/v1$/],
    ['annotations in v1alpha1', request({ apiVersion: 'credentialprovider.kubelet.k8s.io/v1alpha1', serviceAccountAnnotations: { a: 'b' } }), /exist only in credentialprovider\.kubelet\.k8s\.io\/v1$/],
  ];
  for (const [what, text, message] of cases) {
    it(`refuses ${what}`, () => refusal(text, message));
  }
});

describe('registryOfImage: the registry as the kubelet reads it, port included', () => {
  const host = '111122223333.dkr.ecr.eu-west-1.amazonaws.com';
  const digest = `sha256:${'a'.repeat(64)}`;
  for (const [image, registry] of [
    [`${host}/app:1.2`, host],
    [`${host}/app@${digest}`, host],
    [`${host}/app:1.2@${digest}`, host],
    [`${host}/app`, host],
    [`${host}:443/app`, `${host}:443`],
    [`${host}/team/service/api:latest`, host],
    [host, host],
    ['public.ecr.aws/alias/repo:tag', 'public.ecr.aws'],
    ['UPPER.example.com/x', 'UPPER.example.com'],
  ] as const) {
    it(`${image} → ${registry}`, () => assert.equal(registryOfImage(image), registry));
  }
  for (const image of ['https://host.example/x', 'user@host.example/x', `${host}@${digest}`, '-host/x', 'host:/x', 'host:123456/x', '/x', '[::1]:5000/x', 'host.example./x']) {
    it(`${image}: not a host[:port]`, () => assert.equal(registryOfImage(image), undefined));
  }
});

describe('podRoleArn: the annotation, else AWS_ECR_ROLE_ARN', () => {
  const annotated = 'arn:aws:iam::111122223333:role/annotated';
  const fallback = 'arn:aws-cn:iam::111122223333:role/path/fallback';
  it('prefers the annotation', () => assert.equal(podRoleArn({ [ROLE_ANNOTATION]: ` ${annotated} ` }, fallback), annotated));
  it('falls back to the environment', () => assert.equal(podRoleArn({ 'example.com/x': annotated }, fallback), fallback));
  it('an empty annotation names no role', () => assert.equal(podRoleArn({ [ROLE_ANNOTATION]: '' }, fallback), fallback));
  it('none at all', () => assert.equal(podRoleArn({}, undefined), undefined));
  it('refuses what is not a role ARN, naming where it came from', () => {
    assert.throws(() => podRoleArn({ [ROLE_ANNOTATION]: 'puller' }, fallback), /^KubeletRequestError: the service account annotation eks\.amazonaws\.com\/ecr-role-arn is not an IAM role ARN \(arn:aws:iam::<account>:role\/<name>\): "puller"$/);
    assert.throws(() => podRoleArn({}, 'arn:aws:iam::111122223333:user/bob'), /AWS_ECR_ROLE_ARN is not an IAM role ARN/);
    assert.throws(() => podRoleArn({ [ROLE_ANNOTATION]: 'arn:aws:iam::111122223333:role/' }, undefined), /not an IAM role ARN/);
  });
});
