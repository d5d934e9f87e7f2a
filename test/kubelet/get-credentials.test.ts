/**
 * The kubelet's image credential provider protocol end to end, for the node (issue 11): the real
 * bin/, the real AWS SDK, the JSON the kubelet writes on stdin, and the loopback ECR emulator,
 * which verifies every SigV4 signature. Each apiVersion, each image form and ECR host form, the
 * ecr-credential-provider link, cacheDuration, and a cache hit's weight. Pods' service account
 * tokens are in pod-identity.test.ts, refusals in refusals.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { commandInvokedAs } from '../../src/cli/commands';
import { parseEntry } from '../../src/cache/entry';
import { ACCOUNT, HOST, roleArn, startCredentialWorld, type CredentialWorld, type Home } from '../support/credential-world';
import { HELPER_BIN, runCommand, type HelperResult } from '../support/helper-process';
import {
  GROUP,
  IMAGE,
  NODE_KEY,
  ROLE_ANNOTATION,
  VERSIONS,
  assertRefused,
  assertResponse,
  callsDuring,
  getCredentials,
  issuedPassword,
  kubeletRequest,
  nodeEnv,
  podToken,
  seconds,
} from '../support/kubelet-plugin';

let world: CredentialWorld;
before(async () => {
  world = await startCredentialWorld();
});
after(() => world.close());

describe('get-credentials for the node: each apiVersion', () => {
  for (const apiVersion of VERSIONS) {
    it(`${apiVersion}: the response in the same version, with the node's token, from one ECR call`, async () => {
      const home = world.newHome();
      const { result, ecr, sts } = await callsDuring(world, () => getCredentials(nodeEnv(home), kubeletRequest(IMAGE, { apiVersion })));
      const served = assertResponse(result, { apiVersion, key: HOST });
      assert.deepEqual(
        ecr.map((call) => [call.service, call.region, call.accessKeyId, call.registryIds, call.status]),
        [['ecr', 'eu-west-1', NODE_KEY, [ACCOUNT], 200]],
      );
      assert.equal(served.password, issuedPassword(world, NODE_KEY));
      assert.deepEqual(sts, []);
      assert.deepEqual(home.blocked(), []);
    });
  }
});

describe('get-credentials: every image form, every ECR host form, ECR Public', () => {
  const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;

  it('each form of image is answered under its registry as written, port included; one registry, one ECR call', async () => {
    const home = world.newHome();
    const images: Array<[image: string, key: string]> = [
      [`${HOST}/app:1.2`, HOST],
      [`${HOST}/app@${digest}`, HOST],
      [`${HOST}/app:1.2@${digest}`, HOST],
      [`${HOST}/app`, HOST],
      [HOST, HOST],
      [`${HOST}:443/app:1.2`, `${HOST}:443`],
      [`${HOST}/platform/team/service/api:latest`, HOST],
      [`${HOST.toUpperCase()}/app`, HOST.toUpperCase()],
    ];
    const { result, ecr } = await callsDuring(world, async () => {
      const answers: HelperResult[] = [];
      for (const [image] of images) answers.push(await getCredentials(nodeEnv(home), kubeletRequest(image)));
      return answers;
    });
    const passwords = images.map(([, key], index) => assertResponse(result[index]!, { key }).password);
    assert.deepEqual(
      ecr.map((call) => [call.service, call.region, call.accessKeyId, call.registryIds]),
      [['ecr', 'eu-west-1', NODE_KEY, [ACCOUNT]]],
    );
    assert.deepEqual(new Set(passwords), new Set([issuedPassword(world, NODE_KEY)]));
  });

  const hosts: Array<[host: string, service: 'ecr' | 'ecr-public', region: string]> = [
    [`${ACCOUNT}.dkr.ecr-fips.us-gov-west-1.amazonaws.com`, 'ecr', 'us-gov-west-1'],
    [`${ACCOUNT}.dkr-ecr.us-west-2.on.aws`, 'ecr', 'us-west-2'],
    [`${ACCOUNT}.dkr-ecr-fips.us-east-1.on.aws`, 'ecr', 'us-east-1'],
    [`${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn`, 'ecr', 'cn-north-1'],
    [`${ACCOUNT}.dkr-ecr.cn-northwest-1.on.amazonwebservices.com.cn`, 'ecr', 'cn-northwest-1'],
    [`${ACCOUNT}.dkr.ecr.eusc-de-east-1.amazonaws.eu`, 'ecr', 'eusc-de-east-1'],
    [`${ACCOUNT}.dkr.ecr.us-iso-east-1.c2s.ic.gov`, 'ecr', 'us-iso-east-1'],
    [`${ACCOUNT}.dkr.ecr.us-isob-east-1.sc2s.sgov.gov`, 'ecr', 'us-isob-east-1'],
    [`${ACCOUNT}.dkr.ecr.us-isof-south-1.csp.hci.ic.gov`, 'ecr', 'us-isof-south-1'],
    [`${ACCOUNT}.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk`, 'ecr', 'eu-isoe-west-1'],
    ['public.ecr.aws', 'ecr-public', 'us-east-1'],
    ['ecr-public.aws.com', 'ecr-public', 'us-east-1'],
  ];
  for (const [host, service, region] of hosts) {
    it(`${host}/team/app:1 → auth["${host}"], ${service} in ${region}`, async () => {
      const home = world.newHome();
      const { result, ecr } = await callsDuring(world, () => getCredentials(nodeEnv(home), kubeletRequest(`${host}/team/app:1`)));
      const served = assertResponse(result, { key: host });
      assert.deepEqual(
        ecr.map((call) => [call.service, call.region, call.accessKeyId, call.registryIds]),
        [[service, region, NODE_KEY, service === 'ecr' ? [ACCOUNT] : []]],
      );
      assert.equal(served.password, issuedPassword(world, NODE_KEY));
    });
  }
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
    const { result, ecr } = await callsDuring(world, () => runCommand(link, [], { env: nodeEnv(home), input: kubeletRequest(IMAGE, { apiVersion: `${GROUP}/v1alpha1` }) }));
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
      const hit = await callsDuring(world, () => getCredentials(hitEnv, input));
      assertResponse(hit.result, { key: HOST });
      assert.deepEqual([hit.ecr, hit.sts], [[], []]);
      const modules = JSON.parse(readFileSync(probe, 'utf8')) as string[];
      assert.ok(modules.some((path) => path.endsWith(join('bin', 'docker-credential-ecr-login'))), 'the probe saw the helper load');
      for (const heavy of ['@aws-sdk', '@smithy', join('node_modules', 'pino'), join('node_modules', 'commander')]) {
        assert.deepEqual(modules.filter((path) => path.includes(heavy)), [], `${heavy} was loaded on a hit`);
      }
    }
  });
});
