/**
 * What the kubelet plugin refuses (issue 11), through the real bin/: every bad request, image or
 * token is one line on stderr, exit 1, nothing on stdout and no AWS call; a registry the node
 * cannot get a token for gives the cause `get` gives.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HOST, roleArn, startCredentialWorld, type CredentialWorld } from '../support/credential-world';
import { GROUP, IMAGE, ROLE_ANNOTATION, V1, assertRefused, assertResponse, callsDuring, getCredentials, kubeletRequest, nodeEnv, podToken } from '../support/kubelet-plugin';

let world: CredentialWorld;
before(async () => {
  world = await startCredentialWorld();
});
after(() => world.close());

describe('get-credentials refuses, in one line on stderr, with nothing on stdout', () => {
  const refusals: Array<[what: string, input: string | Buffer, pattern: RegExp]> = [
    ['text that is not JSON', 'image=x', /: invalid CredentialProviderRequest: stdin is not valid JSON$/m],
    ['nothing at all', '', /stdin is not valid JSON/],
    ['a request without an image', JSON.stringify({ kind: 'CredentialProviderRequest', apiVersion: V1 }), /it names no image/],
    ['an unknown apiVersion', kubeletRequest(IMAGE, { apiVersion: `${GROUP}/v2` }), /unsupported CredentialProviderRequest: apiVersion "credentialprovider\.kubelet\.k8s\.io\/v2"; this plugin speaks .*\/v1, .*\/v1beta1, .*\/v1alpha1$/m],
    ['another kind', JSON.stringify({ kind: 'ExecCredential', apiVersion: V1, image: IMAGE }), /kind "ExecCredential", expected CredentialProviderRequest/],
    ['a Docker Hub image', kubeletRequest('docker.io/library/nginx:1.27'), /: not an ECR image: "docker\.io\/library\/nginx:1\.27"$/m],
    ['a short Docker Hub name', kubeletRequest('nginx'), /not an ECR image: "nginx"/],
    ['another registry with a port', kubeletRequest('registry.example.com:5000/app'), /not an ECR image/],
    ['a look-alike of an ECR host', kubeletRequest(`${HOST}.evil.example/app`), /not an ECR image/],
    ['ECR Public under another host', kubeletRequest('ghcr.io/public.ecr.aws/app'), /not an ECR image/],
    ['a service account token in v1beta1', kubeletRequest(IMAGE, { apiVersion: `${GROUP}/v1beta1`, token: podToken('a:b') }), /exist only in credentialprovider\.kubelet\.k8s\.io\/v1$/m],
    ['a token that is not a JWT', kubeletRequest(IMAGE, { token: 'opaque-SECRET-token', annotations: { [ROLE_ANNOTATION]: roleArn('pod') } }), /the service account token is not a JWT/],
    ['a role annotation that is not a role ARN', kubeletRequest(IMAGE, { token: podToken('a:b'), annotations: { [ROLE_ANNOTATION]: 'pod-role' } }), /annotation eks\.amazonaws\.com\/ecr-role-arn is not an IAM role ARN/],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /stdin is not UTF-8 text/],
  ];
  for (const [what, input, pattern] of refusals) {
    it(what, async () => {
      const home = world.newHome();
      const { result, ecr, sts } = await callsDuring(world, () => getCredentials(nodeEnv(home), input));
      assertRefused(result, pattern);
      assert.doesNotMatch(result.stderr, /SECRET/, 'never the token');
      assert.deepEqual([ecr, sts], [[], []]);
    });
  }

  it('more than 64 KiB: refused without being read whole', async () => {
    const home = world.newHome();
    const huge = kubeletRequest(IMAGE, { annotations: { padding: 'x'.repeat(8 * 1024 * 1024) } });
    assertRefused(await getCredentials(nodeEnv(home), huge), /input too large: more than 65536 bytes on stdin/);
  });

  it('a request of some 40 KiB (a token and many annotations) is served: the limit is not get\'s 4 KiB', async () => {
    const home = world.newHome();
    const annotations: Record<string, string> = { [ROLE_ANNOTATION]: roleArn('big') };
    for (let index = 0; index < 300; index += 1) annotations[`example.com/note-${index}`] = 'n'.repeat(100);
    const input = kubeletRequest(IMAGE, { token: podToken('team-a:big'), annotations });
    assert.ok(Buffer.byteLength(input) > 32 * 1024 && Buffer.byteLength(input) < 64 * 1024);
    assertResponse(await getCredentials(nodeEnv(home), input), { key: HOST });
  });

  it('a private registry the node has no credentials for: the cause get gives, word for word', async () => {
    const home = world.newHome();
    const env = home.env();
    const cause = assertRefused(await getCredentials(env, kubeletRequest(IMAGE)), /cannot get an ECR token for .*: no AWS credentials found \(tried /);
    const get = await world.get(env);
    assert.equal(get.stdout, `${cause}\n`);
  });

  it('ECR refuses the node: the AWS error code, as get says it', async () => {
    const home = world.newHome();
    world.ecr.inject({ kind: 'access-denied', times: 1 });
    const cause = assertRefused(await getCredentials(nodeEnv(home), kubeletRequest(IMAGE)), /AccessDeniedException: User: .* is not authorized to perform: ecr:GetAuthorizationToken/);
    world.ecr.inject({ kind: 'access-denied', times: 1 });
    assert.equal((await world.get(nodeEnv(home))).stdout, `${cause}\n`);
  });

  it('ECR Public without a token: refused, and the kubelet pulls anonymously', async () => {
    const home = world.newHome();
    world.ecr.inject({ kind: 'access-denied', service: 'ecr-public', times: 1 });
    assertRefused(await getCredentials(nodeEnv(home), kubeletRequest('public.ecr.aws/alias/repo:1')), /: cannot get an ECR Public token, pulling anonymously: AccessDeniedException: /);
  });
});
