/**
 * The kubelet's image credential provider protocol end to end (issue 11): the real bin/, the
 * real AWS SDK, the JSON the kubelet writes on stdin, and loopback emulators of ECR (which
 * verifies every SigV4 signature) and STS (which records RoleArn, RoleSessionName and the web
 * identity token of every exchange). The node's credentials are environment keys; pods bring
 * service account tokens. The loopback guard in every run proves nothing left loopback.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { commandInvokedAs } from '../../src/cli/commands';
import { parseEntry } from '../../src/cache/entry';
import { ACCOUNT, HOST, STATIC_KEYS, roleArn, secretOf, startCredentialWorld, type CredentialWorld, type Home } from '../support/credential-world';
import { HELPER_BIN, runCommand, runHelper, type Env, type HelperResult } from '../support/helper-process';
import { makeWebIdentityToken } from '../support/sts-emulator';

const GROUP = 'credentialprovider.kubelet.k8s.io';
const V1 = `${GROUP}/v1`;
const VERSIONS = [V1, `${GROUP}/v1beta1`, `${GROUP}/v1alpha1`] as const;
const IMAGE = `${HOST}/team/app:1.4.2`;
const ROLE_ANNOTATION = 'eks.amazonaws.com/ecr-role-arn';
const ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/CLUSTERONE';
const NODE_KEY = 'AKIDENVALPHA';

let world: CredentialWorld;
before(async () => {
  world = await startCredentialWorld();
});
after(() => world.close());

interface RequestOptions {
  readonly apiVersion?: string;
  readonly token?: string;
  readonly annotations?: Record<string, string>;
}

/** A CredentialProviderRequest as the kubelet encodes it: type meta first, empty fields left out. */
function kubeletRequest(image: string, options: RequestOptions = {}): string {
  return JSON.stringify({
    kind: 'CredentialProviderRequest',
    apiVersion: options.apiVersion ?? V1,
    image,
    ...(options.token === undefined ? {} : { serviceAccountToken: options.token }),
    ...(options.annotations === undefined ? {} : { serviceAccountAnnotations: options.annotations }),
  });
}

/** A projected service account token for the audience STS accepts. */
const podToken = (serviceAccount: string, issuer = ISSUER): string =>
  makeWebIdentityToken({ iss: issuer, sub: `system:serviceaccount:${serviceAccount}`, aud: ['sts.amazonaws.com'] });

const nodeEnv = (home: Home, extra: Env = {}): Env => home.env({ AWS_ACCESS_KEY_ID: NODE_KEY, AWS_SECRET_ACCESS_KEY: STATIC_KEYS[NODE_KEY], ...extra });

const getCredentials = (env: Env, input: string | Buffer, args: readonly string[] = ['get-credentials']): Promise<HelperResult> =>
  runHelper(args, { env, input, timeoutMs: 25_000 });

const GO_DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(\d+)s$/;
function seconds(duration: string): number {
  const match = GO_DURATION.exec(duration);
  assert.ok(match, `a Go duration: ${duration}`);
  return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3]);
}

interface Served {
  readonly password: string;
  readonly cacheDuration: string;
}

/** Exit 0, nothing on stderr, and stdout exactly the response the kubelet decodes strictly. */
function assertResponse(result: HelperResult, expected: { apiVersion?: string; key: string }): Served {
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.equal(result.stderr, '');
  const parsed = JSON.parse(result.stdout) as { cacheDuration: string; auth: Record<string, { password: string }> };
  const password = parsed.auth[expected.key]?.password ?? '';
  const duration = seconds(parsed.cacheDuration);
  assert.ok(duration > 6 * 3600 - 120 && duration <= 6 * 3600, `until our cache refreshes the 12-hour token: ${parsed.cacheDuration}`);
  assert.equal(
    result.stdout,
    `{"apiVersion":"${expected.apiVersion ?? V1}","kind":"CredentialProviderResponse","cacheKeyType":"Registry","cacheDuration":"${parsed.cacheDuration}",` +
      `"auth":{${JSON.stringify(expected.key)}:{"username":"AWS","password":${JSON.stringify(password)}}}}\n`,
  );
  return { password, cacheDuration: parsed.cacheDuration };
}

/** Exit 1, nothing on stdout, one line on stderr (the kubelet logs it), no stack trace. */
function assertRefused(result: HelperResult, pattern: RegExp): string {
  assert.equal(result.signal, null);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /^docker-credential-ecr-login: [^\n]+\n$/);
  assert.match(result.stderr, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at |\(\S+\.js:\d+:\d+\)/);
  return result.stderr.trimEnd().replace(/^docker-credential-ecr-login: /, '');
}

/** What one run cost: calls to each emulator, and the last of each. */
function callsDuring<T>(run: () => Promise<T>): Promise<{ result: T; ecr: typeof world.ecr.calls; sts: typeof world.sts.calls }> {
  const ecrBefore = world.ecr.calls.length;
  const stsBefore = world.sts.calls.length;
  return run().then((result) => ({ result, ecr: world.ecr.calls.slice(ecrBefore), sts: world.sts.calls.slice(stsBefore) }));
}

const issuedPassword = (accessKeyId: string): string | undefined => world.ecr.issued.filter((token) => token.accessKeyId === accessKeyId).at(-1)?.password;

describe('get-credentials for the node: each apiVersion', () => {
  for (const apiVersion of VERSIONS) {
    it(`${apiVersion}: the response in the same version, with the node's token, from one ECR call`, async () => {
      const home = world.newHome();
      const { result, ecr, sts } = await callsDuring(() => getCredentials(nodeEnv(home), kubeletRequest(IMAGE, { apiVersion })));
      const served = assertResponse(result, { apiVersion, key: HOST });
      assert.deepEqual(
        ecr.map((call) => [call.service, call.region, call.accessKeyId, call.registryIds, call.status]),
        [['ecr', 'eu-west-1', NODE_KEY, [ACCOUNT], 200]],
      );
      assert.equal(served.password, issuedPassword(NODE_KEY));
      assert.deepEqual(sts, []);
      assert.deepEqual(home.blocked(), []);
    });
  }
});

describe('get-credentials: every image form, every ECR host form, ECR Public', () => {
  const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;
  const forms: Array<[image: string, key: string, service: 'ecr' | 'ecr-public', region: string]> = [
    [`${HOST}/app:1.2`, HOST, 'ecr', 'eu-west-1'],
    [`${HOST}/app@${digest}`, HOST, 'ecr', 'eu-west-1'],
    [`${HOST}/app:1.2@${digest}`, HOST, 'ecr', 'eu-west-1'],
    [`${HOST}/app`, HOST, 'ecr', 'eu-west-1'],
    [`${HOST}:443/app:1.2`, `${HOST}:443`, 'ecr', 'eu-west-1'],
    [`${HOST}/platform/team/service/api:latest`, HOST, 'ecr', 'eu-west-1'],
    [`${ACCOUNT}.dkr.ecr-fips.us-gov-west-1.amazonaws.com/app:1`, `${ACCOUNT}.dkr.ecr-fips.us-gov-west-1.amazonaws.com`, 'ecr', 'us-gov-west-1'],
    [`${ACCOUNT}.dkr-ecr.us-west-2.on.aws/app:1`, `${ACCOUNT}.dkr-ecr.us-west-2.on.aws`, 'ecr', 'us-west-2'],
    [`${ACCOUNT}.dkr-ecr-fips.us-east-1.on.aws/app:1`, `${ACCOUNT}.dkr-ecr-fips.us-east-1.on.aws`, 'ecr', 'us-east-1'],
    [`${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/app:1`, `${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn`, 'ecr', 'cn-north-1'],
    [`${ACCOUNT}.dkr-ecr.cn-northwest-1.on.amazonwebservices.com.cn/app:1`, `${ACCOUNT}.dkr-ecr.cn-northwest-1.on.amazonwebservices.com.cn`, 'ecr', 'cn-northwest-1'],
    [`${ACCOUNT}.dkr.ecr.eusc-de-east-1.amazonaws.eu/app:1`, `${ACCOUNT}.dkr.ecr.eusc-de-east-1.amazonaws.eu`, 'ecr', 'eusc-de-east-1'],
    [`${ACCOUNT}.dkr.ecr.us-iso-east-1.c2s.ic.gov/app:1`, `${ACCOUNT}.dkr.ecr.us-iso-east-1.c2s.ic.gov`, 'ecr', 'us-iso-east-1'],
    [`${ACCOUNT}.dkr.ecr.us-isob-east-1.sc2s.sgov.gov/app:1`, `${ACCOUNT}.dkr.ecr.us-isob-east-1.sc2s.sgov.gov`, 'ecr', 'us-isob-east-1'],
    [`${ACCOUNT}.dkr.ecr.us-isof-south-1.csp.hci.ic.gov/app:1`, `${ACCOUNT}.dkr.ecr.us-isof-south-1.csp.hci.ic.gov`, 'ecr', 'us-isof-south-1'],
    [`${ACCOUNT}.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk/app:1`, `${ACCOUNT}.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk`, 'ecr', 'eu-isoe-west-1'],
    ['public.ecr.aws/docker/library/nginx:1.27', 'public.ecr.aws', 'ecr-public', 'us-east-1'],
    ['ecr-public.aws.com/alias/repo@' + digest, 'ecr-public.aws.com', 'ecr-public', 'us-east-1'],
  ];
  for (const [image, key, service, region] of forms) {
    it(`${image} → auth["${key}"], ${service} in ${region}`, async () => {
      const home = world.newHome();
      const { result, ecr } = await callsDuring(() => getCredentials(nodeEnv(home), kubeletRequest(image)));
      const served = assertResponse(result, { key });
      assert.deepEqual(
        ecr.map((call) => [call.service, call.region, call.accessKeyId, call.registryIds]),
        [[service, region, NODE_KEY, service === 'ecr' ? [ACCOUNT] : []]],
      );
      assert.equal(served.password, issuedPassword(NODE_KEY));
    });
  }

  it('one registry, one token: other repositories, tags and digests of it make no further call', async () => {
    const home = world.newHome();
    const first = assertResponse(await getCredentials(nodeEnv(home), kubeletRequest(`${HOST}/a:1`)), { key: HOST });
    const { result, ecr } = await callsDuring(async () => [
      await getCredentials(nodeEnv(home), kubeletRequest(`${HOST}/b/c@${digest}`)),
      await getCredentials(nodeEnv(home), kubeletRequest(`${HOST.toUpperCase()}/d`)),
    ]);
    assert.equal(assertResponse(result[0]!, { key: HOST }).password, first.password);
    assert.equal(assertResponse(result[1]!, { key: HOST.toUpperCase() }).password, first.password);
    assert.deepEqual(ecr, []);
  });
});

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
      const { result, ecr, sts } = await callsDuring(() => getCredentials(nodeEnv(home), input));
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

describe('called through a link named ecr-credential-provider (cloud-provider-aws drop-in)', () => {
  it('answers the kubelet with args [get-credentials] and with no args at all', async () => {
    const home = world.newHome();
    const bin = join(home.home, 'plugins');
    mkdirSync(bin);
    const link = join(bin, 'ecr-credential-provider');
    symlinkSync(HELPER_BIN, link);
    const withArgs = await runCommand(link, ['get-credentials'], { env: nodeEnv(home), input: kubeletRequest(IMAGE) });
    const first = assertResponse(withArgs, { key: HOST });
    const { result, ecr } = await callsDuring(() => runCommand(link, [], { env: nodeEnv(home), input: kubeletRequest(IMAGE, { apiVersion: `${GROUP}/v1alpha1` }) }));
    assert.equal(assertResponse(result, { apiVersion: `${GROUP}/v1alpha1`, key: HOST }).password, first.password);
    assert.deepEqual(ecr, [], 'the same cache');
    assertRefused(await runCommand(link, [], { env: nodeEnv(home), input: 'get' }), /not valid JSON/);
  });

  it('the name decides, with or without .exe; the helper\'s own name does not', () => {
    assert.equal(commandInvokedAs('ecr-credential-provider')?.name, 'get-credentials');
    assert.equal(commandInvokedAs('ecr-credential-provider.exe')?.name, 'get-credentials');
    assert.equal(commandInvokedAs('docker-credential-ecr-login'), undefined);
    assert.equal(commandInvokedAs(''), undefined);
    assert.equal(commandInvokedAs(undefined), undefined);
  });
});

describe('per-pod identity: a v1 service account token exchanged for the annotated role', () => {
  it('STS AssumeRoleWithWebIdentity for the role with the token, ECR signed with that role\'s key, nothing on a repeat', async () => {
    const home = world.newHome();
    const token = podToken('team-a:builder');
    const request = kubeletRequest(IMAGE, { token, annotations: { [ROLE_ANNOTATION]: roleArn('pod-builder'), 'example.com/team': 'a' } });
    const { result, ecr, sts } = await callsDuring(() => getCredentials(nodeEnv(home), request));
    const served = assertResponse(result, { key: HOST });
    assert.deepEqual(
      sts.map((call) => [call.operation, call.params.RoleArn, call.params.RoleSessionName, call.params.WebIdentityToken, call.status]),
      [['AssumeRoleWithWebIdentity', roleArn('pod-builder'), 'team-a.builder', token, 200]],
    );
    const podKey = world.sts.issued.at(-1);
    assert.match(podKey?.accessKeyId ?? '', /^ASIAWEBIDENTITY/);
    assert.equal(podKey?.detail, roleArn('pod-builder'));
    assert.deepEqual(
      ecr.map((call) => [call.accessKeyId, call.sessionToken, call.registryIds, call.status]),
      [[podKey?.accessKeyId, podKey?.sessionToken, [ACCOUNT], 200]],
    );
    assert.equal(served.password, issuedPassword(podKey?.accessKeyId ?? ''));

    // The kubelet asks again with a fresh token of the same service account: a cache hit.
    const again = await callsDuring(() =>
      getCredentials(nodeEnv(home), kubeletRequest(IMAGE, { token: podToken('team-a:builder'), annotations: { [ROLE_ANNOTATION]: roleArn('pod-builder') } })),
    );
    assert.equal(assertResponse(again.result, { key: HOST }).password, served.password);
    assert.deepEqual([again.ecr, again.sts], [[], []]);
    assert.deepEqual(home.blocked(), []);
  });

  it('AWS_ECR_ROLE_ARN when the annotations name no role; the annotation wins over it', async () => {
    const home = world.newHome();
    const env = nodeEnv(home, { AWS_ECR_ROLE_ARN: roleArn('pod-fallback') });
    const fallback = await callsDuring(() => getCredentials(env, kubeletRequest(IMAGE, { token: podToken('team-b:web') })));
    assertResponse(fallback.result, { key: HOST });
    assert.deepEqual(fallback.sts.map((call) => [call.params.RoleArn, call.params.RoleSessionName]), [[roleArn('pod-fallback'), 'team-b.web']]);
    const annotated = await callsDuring(() =>
      getCredentials(env, kubeletRequest(IMAGE, { token: podToken('team-b:web'), annotations: { [ROLE_ANNOTATION]: roleArn('pod-annotated') } })),
    );
    assertResponse(annotated.result, { key: HOST });
    assert.deepEqual(annotated.sts.map((call) => call.params.RoleArn), [roleArn('pod-annotated')]);
  });

  it('a token and no role anywhere: the node\'s credentials, as cloud-provider-aws does', async () => {
    const home = world.newHome();
    const { result, ecr, sts } = await callsDuring(() => getCredentials(nodeEnv(home), kubeletRequest(IMAGE, { token: podToken('team-c:plain') })));
    assertResponse(result, { key: HOST });
    assert.deepEqual(sts, []);
    assert.deepEqual(ecr.map((call) => call.accessKeyId), [NODE_KEY]);
  });

  it('ECR Public with a pod role: the exchange, then ECR Public signed with the role\'s key in us-east-1', async () => {
    const home = world.newHome();
    const request = kubeletRequest('public.ecr.aws/alias/repo:1', { token: podToken('team-a:builder'), annotations: { [ROLE_ANNOTATION]: roleArn('pod-public') } });
    const { result, ecr, sts } = await callsDuring(() => getCredentials(nodeEnv(home), request));
    assertResponse(result, { key: 'public.ecr.aws' });
    assert.deepEqual(sts.map((call) => call.params.RoleArn), [roleArn('pod-public')]);
    assert.deepEqual(ecr.map((call) => [call.service, call.region, call.accessKeyId]), [['ecr-public', 'us-east-1', world.sts.issued.at(-1)?.accessKeyId]]);
  });

  it('STS refuses the token: the role, the subject and the AWS code, and no ECR call', async () => {
    const home = world.newHome();
    const token = podToken('team-a:intruder');
    world.sts.inject({ kind: 'invalid-identity-token', token, times: 1 });
    const { result, ecr } = await callsDuring(() => getCredentials(nodeEnv(home), kubeletRequest(IMAGE, { token, annotations: { [ROLE_ANNOTATION]: roleArn('pod-builder') } })));
    assertRefused(
      result,
      new RegExp(`cannot get an ECR token for ${HOST.replace(/\./g, '\\.')}: cannot assume role ${roleArn('pod-builder')} with the web identity token of system:serviceaccount:team-a:intruder: InvalidIdentityToken`),
    );
    assert.deepEqual(ecr, []);
  });
});

describe('cache separation: node and pods, service accounts, clusters; get and get-credentials', () => {
  const podRequest = (serviceAccount: string, role: string, issuer = ISSUER, token = podToken(serviceAccount, issuer)): string =>
    kubeletRequest(IMAGE, { token, annotations: { [ROLE_ANNOTATION]: roleArn(role) } });

  it('the node\'s token is never served to a pod, nor a pod\'s to the node, whichever comes first', async () => {
    const home = world.newHome();
    const env = nodeEnv(home);
    const node = assertResponse(await getCredentials(env, kubeletRequest(IMAGE)), { key: HOST });
    const pod = await callsDuring(() => getCredentials(env, podRequest('team-a:builder', 'pod-builder')));
    const podServed = assertResponse(pod.result, { key: HOST });
    assert.equal(pod.sts.length, 1, 'the pod passed STS itself');
    assert.equal(pod.ecr.length, 1);
    assert.notEqual(podServed.password, node.password);

    const repeat = await callsDuring(async () => [await getCredentials(env, kubeletRequest(IMAGE)), await getCredentials(env, podRequest('team-a:builder', 'pod-builder'))]);
    assert.equal(assertResponse(repeat.result[0]!, { key: HOST }).password, node.password);
    assert.equal(assertResponse(repeat.result[1]!, { key: HOST }).password, podServed.password);
    assert.deepEqual([repeat.ecr, repeat.sts], [[], []]);

    const otherHome = world.newHome();
    const podFirst = assertResponse(await getCredentials(nodeEnv(otherHome), podRequest('team-a:builder', 'pod-builder')), { key: HOST });
    const nodeAfter = await callsDuring(() => getCredentials(nodeEnv(otherHome), kubeletRequest(IMAGE)));
    assert.notEqual(assertResponse(nodeAfter.result, { key: HOST }).password, podFirst.password);
    assert.deepEqual(nodeAfter.ecr.map((call) => call.accessKeyId), [NODE_KEY], 'the node called ECR as itself');
  });

  it('two service accounts naming the same role: each passes STS with its own token', async () => {
    const home = world.newHome();
    const builder = assertResponse(await getCredentials(nodeEnv(home), podRequest('team-a:builder', 'shared')), { key: HOST });
    const deployerToken = podToken('team-a:deployer');
    const deployer = await callsDuring(() => getCredentials(nodeEnv(home), podRequest('team-a:deployer', 'shared', ISSUER, deployerToken)));
    assert.notEqual(assertResponse(deployer.result, { key: HOST }).password, builder.password);
    assert.deepEqual(deployer.sts.map((call) => [call.params.RoleArn, call.params.RoleSessionName, call.params.WebIdentityToken]), [[roleArn('shared'), 'team-a.deployer', deployerToken]]);

    // A service account the role's trust policy refuses is refused, whoever else was served.
    const intruderToken = podToken('team-a:intruder');
    world.sts.inject({ kind: 'access-denied', roleArn: roleArn('shared'), times: 1 });
    const intruder = await callsDuring(() => getCredentials(nodeEnv(home), podRequest('team-a:intruder', 'shared', ISSUER, intruderToken)));
    assertRefused(intruder.result, /cannot assume role .*shared with the web identity token of system:serviceaccount:team-a:intruder: AccessDenied/);
    assert.deepEqual(intruder.ecr, []);
  });

  it('the same service account in two clusters (two issuers): two identities', async () => {
    const home = world.newHome();
    const first = assertResponse(await getCredentials(nodeEnv(home), podRequest('team-a:builder', 'pod-builder')), { key: HOST });
    const otherCluster = await callsDuring(() => getCredentials(nodeEnv(home), podRequest('team-a:builder', 'pod-builder', 'https://oidc.eks.eu-west-1.amazonaws.com/id/CLUSTERTWO')));
    assert.notEqual(assertResponse(otherCluster.result, { key: HOST }).password, first.password);
    assert.equal(otherCluster.sts.length, 1);
  });

  it('get and get-credentials share the node\'s entries, both ways', async () => {
    const home = world.newHome();
    const env = nodeEnv(home);
    const get = await world.get(env);
    const kubelet = await callsDuring(() => getCredentials(env, kubeletRequest(IMAGE)));
    assert.equal(assertResponse(kubelet.result, { key: HOST }).password, secretOf(get));
    assert.deepEqual(kubelet.ecr, []);

    const public1 = assertResponse(await getCredentials(env, kubeletRequest('public.ecr.aws/alias/repo')), { key: 'public.ecr.aws' });
    const getAfter = await callsDuring(() => world.get(env, 'public.ecr.aws'));
    assert.equal(secretOf(getAfter.result), public1.password);
    assert.deepEqual(getAfter.ecr, []);
  });
});

describe('cacheDuration: until our own cache would refresh the token', () => {
  const tokenEntries = (home: Home) => {
    const dir = join(home.home, '.ecr', 'tokens');
    return readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .map((name) => parseEntry(readFileSync(join(dir, name), 'utf8')))
      .filter((entry) => entry !== undefined);
  };

  it('cache on: from now until half the life after issue, as the cache entry records it', async () => {
    const home = world.newHome();
    const started = Date.now();
    const served = assertResponse(await getCredentials(nodeEnv(home), kubeletRequest(IMAGE)), { key: HOST });
    const ended = Date.now();
    const [entry] = tokenEntries(home);
    assert.ok(entry);
    const refreshAt = entry.issuedAt + (entry.expiresAt - entry.issuedAt) / 2;
    const duration = seconds(served.cacheDuration);
    assert.ok(duration <= Math.floor((refreshAt - started) / 1000) && duration >= Math.floor((refreshAt - ended) / 1000), `${served.cacheDuration}`);
  });

  it('cache off: half the remaining life of the token', async () => {
    const home = world.newHome();
    const started = Date.now();
    const served = assertResponse(await getCredentials(nodeEnv(home, { AWS_ECR_DISABLE_CACHE: '1' }), kubeletRequest(IMAGE)), { key: HOST });
    const ended = Date.now();
    const expiresAt = world.ecr.issued.at(-1)?.expiresAt.getTime() ?? 0;
    const duration = seconds(served.cacheDuration);
    assert.ok(duration <= Math.floor((expiresAt - started) / 2000) && duration >= Math.floor((expiresAt - ended) / 2000), served.cacheDuration);
  });
});

describe('a cache hit stays light', () => {
  it('for the node and for a pod: no AWS SDK, no pino, no commander', async () => {
    const home = world.newHome();
    const pod = kubeletRequest(IMAGE, { token: podToken('team-a:builder'), annotations: { [ROLE_ANNOTATION]: roleArn('pod-builder') } });
    for (const input of [kubeletRequest(IMAGE), pod]) {
      assertResponse(await getCredentials(nodeEnv(home), input), { key: HOST });
      const probe = join(home.home, 'modules.json');
      const env = nodeEnv(home);
      const hitEnv = {
        ...env,
        NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --require ${join(__dirname, '..', 'support', 'module-probe.js')}`,
        ECR_LOGIN_TEST_MODULE_PROBE: probe,
      };
      const hit = await callsDuring(() => getCredentials(hitEnv, input));
      assertResponse(hit.result, { key: HOST });
      assert.deepEqual([hit.ecr, hit.sts], [[], []]);
      const modules = JSON.parse(readFileSync(probe, 'utf8')) as string[];
      assert.ok(modules.some((path) => path.includes(join('dist', 'bin', 'docker-credential-ecr-login.js'))), 'the probe saw the helper load');
      for (const heavy of ['@aws-sdk', '@smithy', join('node_modules', 'pino'), join('node_modules', 'commander')]) {
        assert.deepEqual(modules.filter((path) => path.includes(heavy)), [], `${heavy} was loaded on a hit`);
      }
    }
  });
});

describe('secrets never reach the log or stderr', () => {
  it('at trace level: the service account token, the role\'s keys, the ECR passwords', async () => {
    const home = world.newHome();
    const env = nodeEnv(home, { AWS_ECR_LOG_LEVEL: 'trace' });
    const token = podToken('team-a:traced');
    const rejected = podToken('team-a:rejected');
    world.sts.inject({ kind: 'invalid-identity-token', token: rejected, times: 1 });
    const results = [
      await getCredentials(env, kubeletRequest(IMAGE, { token, annotations: { [ROLE_ANNOTATION]: roleArn('pod-traced') } })),
      await getCredentials(env, kubeletRequest(IMAGE, { token, annotations: { [ROLE_ANNOTATION]: roleArn('pod-traced') } })),
      await getCredentials(env, kubeletRequest(IMAGE, { token: rejected, annotations: { [ROLE_ANNOTATION]: roleArn('pod-traced') } })),
      await getCredentials(env, kubeletRequest(IMAGE, { token: `${token}x.y`, annotations: { [ROLE_ANNOTATION]: roleArn('pod-traced') } })),
    ];
    assert.deepEqual(results.map((result) => result.code), [0, 0, 1, 1]);
    const logDir = join(home.home, '.ecr', 'log');
    const logText = readdirSync(logDir).map((name) => readFileSync(join(logDir, name), 'utf8')).join('\n');
    assert.match(logText, /"level":10|"level":20/, 'the run logged at its most verbose levels');
    const podKey = world.sts.issued.find((credential) => credential.detail === roleArn('pod-traced'));
    assert.ok(podKey);
    const secrets = [token, token.split('.')[1] ?? '', rejected, podKey.secretAccessKey, podKey.sessionToken, issuedPassword(podKey.accessKeyId) ?? '', STATIC_KEYS[NODE_KEY]];
    for (const secret of secrets) {
      assert.ok(secret.length > 8);
      assert.equal(logText.includes(secret), false, `the log holds a secret (${secret.slice(0, 8)}…)`);
      for (const result of results) assert.equal(result.stderr.includes(secret), false, 'stderr holds a secret');
    }
  });
});
