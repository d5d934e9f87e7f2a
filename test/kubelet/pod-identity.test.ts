/**
 * Per-pod identity through the kubelet plugin (issue 11): v1 requests with a pod's service
 * account token, through the real bin/ against the ECR emulator (which verifies every SigV4
 * signature) and the STS emulator (which records RoleArn, RoleSessionName and the web identity
 * token of every AssumeRoleWithWebIdentity). The cache keeps node and pods, service accounts
 * and clusters apart; no token reaches the log.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT, HOST, STATIC_KEYS, roleArn, secretOf, startCredentialWorld, type CredentialWorld } from '../support/credential-world';
import {
  IMAGE,
  ISSUER,
  NODE_KEY,
  ROLE_ANNOTATION,
  assertRefused,
  assertResponse,
  callsDuring,
  getCredentials,
  issuedPassword,
  kubeletRequest,
  nodeEnv,
  podToken,
} from '../support/kubelet-plugin';

let world: CredentialWorld;
before(async () => {
  world = await startCredentialWorld();
});
after(() => world.close());

describe('per-pod identity: a v1 service account token exchanged for the annotated role', () => {
  it('STS AssumeRoleWithWebIdentity for the role with the token, ECR signed with that role\'s key, nothing on a repeat', async () => {
    const home = world.newHome();
    const token = podToken('team-a:builder');
    const request = kubeletRequest(IMAGE, { token, annotations: { [ROLE_ANNOTATION]: roleArn('pod-builder'), 'example.com/team': 'a' } });
    const { result, ecr, sts } = await callsDuring(world, () => getCredentials(nodeEnv(home), request));
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
    assert.equal(served.password, issuedPassword(world, podKey?.accessKeyId ?? ''));

    // The kubelet asks again with a fresh token of the same service account: a cache hit.
    const again = await callsDuring(world, () =>
      getCredentials(nodeEnv(home), kubeletRequest(IMAGE, { token: podToken('team-a:builder'), annotations: { [ROLE_ANNOTATION]: roleArn('pod-builder') } })),
    );
    assert.equal(assertResponse(again.result, { key: HOST }).password, served.password);
    assert.deepEqual([again.ecr, again.sts], [[], []]);
    assert.deepEqual(home.blocked(), []);
  });

  it('AWS_ECR_ROLE_ARN when the annotations name no role; the annotation wins over it', async () => {
    const home = world.newHome();
    const env = nodeEnv(home, { AWS_ECR_ROLE_ARN: roleArn('pod-fallback') });
    const fallback = await callsDuring(world, () => getCredentials(env, kubeletRequest(IMAGE, { token: podToken('team-b:web') })));
    assertResponse(fallback.result, { key: HOST });
    assert.deepEqual(fallback.sts.map((call) => [call.params.RoleArn, call.params.RoleSessionName]), [[roleArn('pod-fallback'), 'team-b.web']]);
    const annotated = await callsDuring(world, () =>
      getCredentials(env, kubeletRequest(IMAGE, { token: podToken('team-b:web'), annotations: { [ROLE_ANNOTATION]: roleArn('pod-annotated') } })),
    );
    assertResponse(annotated.result, { key: HOST });
    assert.deepEqual(annotated.sts.map((call) => call.params.RoleArn), [roleArn('pod-annotated')]);
  });

  it('a token and no role anywhere: the node\'s credentials, as cloud-provider-aws does', async () => {
    const home = world.newHome();
    const { result, ecr, sts } = await callsDuring(world, () => getCredentials(nodeEnv(home), kubeletRequest(IMAGE, { token: podToken('team-c:plain') })));
    assertResponse(result, { key: HOST });
    assert.deepEqual(sts, []);
    assert.deepEqual(ecr.map((call) => call.accessKeyId), [NODE_KEY]);
  });

  it('ECR Public with a pod role: the exchange, then ECR Public signed with the role\'s key in us-east-1', async () => {
    const home = world.newHome();
    const request = kubeletRequest('public.ecr.aws/alias/repo:1', { token: podToken('team-a:builder'), annotations: { [ROLE_ANNOTATION]: roleArn('pod-public') } });
    const { result, ecr, sts } = await callsDuring(world, () => getCredentials(nodeEnv(home), request));
    assertResponse(result, { key: 'public.ecr.aws' });
    assert.deepEqual(sts.map((call) => call.params.RoleArn), [roleArn('pod-public')]);
    assert.deepEqual(ecr.map((call) => [call.service, call.region, call.accessKeyId]), [['ecr-public', 'us-east-1', world.sts.issued.at(-1)?.accessKeyId]]);
  });

  it('STS refuses the token: the role, the subject and the AWS code, and no ECR call', async () => {
    const home = world.newHome();
    const token = podToken('team-a:intruder');
    world.sts.inject({ kind: 'invalid-identity-token', token, times: 1 });
    const { result, ecr } = await callsDuring(world, () => getCredentials(nodeEnv(home), kubeletRequest(IMAGE, { token, annotations: { [ROLE_ANNOTATION]: roleArn('pod-builder') } })));
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
    const pod = await callsDuring(world, () => getCredentials(env, podRequest('team-a:builder', 'pod-builder')));
    const podServed = assertResponse(pod.result, { key: HOST });
    assert.equal(pod.sts.length, 1, 'the pod passed STS itself');
    assert.equal(pod.ecr.length, 1);
    assert.notEqual(podServed.password, node.password);

    const repeat = await callsDuring(world, async () => [await getCredentials(env, kubeletRequest(IMAGE)), await getCredentials(env, podRequest('team-a:builder', 'pod-builder'))]);
    assert.equal(assertResponse(repeat.result[0]!, { key: HOST }).password, node.password);
    assert.equal(assertResponse(repeat.result[1]!, { key: HOST }).password, podServed.password);
    assert.deepEqual([repeat.ecr, repeat.sts], [[], []]);

    const otherHome = world.newHome();
    const podFirst = assertResponse(await getCredentials(nodeEnv(otherHome), podRequest('team-a:builder', 'pod-builder')), { key: HOST });
    const nodeAfter = await callsDuring(world, () => getCredentials(nodeEnv(otherHome), kubeletRequest(IMAGE)));
    assert.notEqual(assertResponse(nodeAfter.result, { key: HOST }).password, podFirst.password);
    assert.deepEqual(nodeAfter.ecr.map((call) => call.accessKeyId), [NODE_KEY], 'the node called ECR as itself');
  });

  it('two service accounts naming the same role: each passes STS with its own token', async () => {
    const home = world.newHome();
    const builder = assertResponse(await getCredentials(nodeEnv(home), podRequest('team-a:builder', 'shared')), { key: HOST });
    const deployerToken = podToken('team-a:deployer');
    const deployer = await callsDuring(world, () => getCredentials(nodeEnv(home), podRequest('team-a:deployer', 'shared', ISSUER, deployerToken)));
    assert.notEqual(assertResponse(deployer.result, { key: HOST }).password, builder.password);
    assert.deepEqual(deployer.sts.map((call) => [call.params.RoleArn, call.params.RoleSessionName, call.params.WebIdentityToken]), [[roleArn('shared'), 'team-a.deployer', deployerToken]]);

    // A service account the role's trust policy refuses is refused, whoever else was served.
    const intruderToken = podToken('team-a:intruder');
    world.sts.inject({ kind: 'access-denied', roleArn: roleArn('shared'), times: 1 });
    const intruder = await callsDuring(world, () => getCredentials(nodeEnv(home), podRequest('team-a:intruder', 'shared', ISSUER, intruderToken)));
    assertRefused(intruder.result, /cannot assume role .*shared with the web identity token of system:serviceaccount:team-a:intruder: AccessDenied/);
    assert.deepEqual(intruder.ecr, []);
  });

  it('the same service account in two clusters (two issuers): two identities', async () => {
    const home = world.newHome();
    const first = assertResponse(await getCredentials(nodeEnv(home), podRequest('team-a:builder', 'pod-builder')), { key: HOST });
    const otherCluster = await callsDuring(world, () => getCredentials(nodeEnv(home), podRequest('team-a:builder', 'pod-builder', 'https://oidc.eks.eu-west-1.amazonaws.com/id/CLUSTERTWO')));
    assert.notEqual(assertResponse(otherCluster.result, { key: HOST }).password, first.password);
    assert.equal(otherCluster.sts.length, 1);
  });

  it('get and get-credentials share the node\'s entries, both ways', async () => {
    const home = world.newHome();
    const env = nodeEnv(home);
    const get = await world.get(env);
    const kubelet = await callsDuring(world, () => getCredentials(env, kubeletRequest(IMAGE)));
    assert.equal(assertResponse(kubelet.result, { key: HOST }).password, secretOf(get));
    assert.deepEqual(kubelet.ecr, []);

    const public1 = assertResponse(await getCredentials(env, kubeletRequest('public.ecr.aws/alias/repo')), { key: 'public.ecr.aws' });
    const getAfter = await callsDuring(world, () => world.get(env, 'public.ecr.aws'));
    assert.equal(secretOf(getAfter.result), public1.password);
    assert.deepEqual(getAfter.ecr, []);
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
    const secrets = [token, token.split('.')[1] ?? '', rejected, podKey.secretAccessKey, podKey.sessionToken, issuedPassword(world, podKey.accessKeyId) ?? '', STATIC_KEYS[NODE_KEY]];
    for (const secret of secrets) {
      assert.ok(secret.length > 8);
      assert.equal(logText.includes(secret), false, `the log holds a secret (${secret.slice(0, 8)}…)`);
      for (const result of results) assert.equal(result.stderr.includes(secret), false, 'stderr holds a secret');
    }
  });
});
