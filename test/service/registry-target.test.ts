import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseRegistrySettings, type RegistrySettings } from '../../src/config/registry-settings';
import { DEFAULT_CHAIN, planFingerprint } from '../../src/identity/plan';
import { noTokenLine, planFor, resolveRegistry, ROLE_SESSION_NAME, targetFor } from '../../src/service/registry-target';
import { parseRegistry, type EcrRegistry } from '../../src/registry/parse';

const PROD = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const DEV = '444455556666.dkr.ecr.eu-west-1.amazonaws.com';
const ROLE = 'arn:aws:iam::444455556666:role/pull';
const settings = parseRegistrySettings(
  JSON.stringify({
    registries: {
      [PROD]: { profile: 'prod' },
      [DEV]: { roleArn: ROLE },
      'registry.example.com': { registry: PROD },
      'dev.example.com': { registry: DEV, profile: 'other' },
    },
  }),
  '/s.json',
) as RegistrySettings;
const FILES = { config: '[profile prod]\naws_access_key_id = AKIDPROD\naws_secret_access_key = x\n[profile other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = y\n' };

describe('targetFor', () => {
  it('an ECR host with no settings: itself, the default chain', () => {
    assert.deepEqual(targetFor('public.ecr.aws', settings), { registry: parseRegistry('public.ecr.aws'), plan: DEFAULT_CHAIN });
  });
  it('a profile: the default chain with that profile', () => {
    const target = targetFor(`https://${PROD}`, settings);
    assert.deepEqual(target?.plan, { kind: 'default-chain', profile: 'prod' });
    assert.equal(target?.alias, undefined);
  });
  it('a role: assumed from the default chain, as a session named after this helper', () => {
    assert.deepEqual(targetFor(DEV, settings)?.plan, { kind: 'assume-role', roleArn: ROLE, sessionName: 'docker-credential-ecr-login', source: DEFAULT_CHAIN });
    assert.equal(ROLE_SESSION_NAME, 'docker-credential-ecr-login');
  });
  it('an alias with no identity of its own acts as its registry, under that registry’s settings', () => {
    const target = targetFor('REGISTRY.example.com:443', settings);
    assert.equal(target?.registry.host, PROD);
    assert.equal(target?.alias, 'registry.example.com');
    assert.deepEqual(target?.plan, { kind: 'default-chain', profile: 'prod' });
  });
  it('an alias with an identity of its own uses it', () => {
    assert.deepEqual(targetFor('dev.example.com', settings)?.plan, { kind: 'default-chain', profile: 'other' });
  });
  it('a host that is neither ECR nor an alias is not a target', () => {
    assert.equal(targetFor('ghcr.io', settings), undefined);
    assert.equal(targetFor('docker.io', parseRegistrySettings('{}', '/s.json') as RegistrySettings), undefined);
  });
});

describe('planFor and the cache key', () => {
  it('two registries with two profiles never share an identity; a role is not its source', () => {
    const prints = [
      planFor(undefined),
      planFor({ profile: 'prod' }),
      planFor({ profile: 'other' }),
      planFor({ roleArn: ROLE }),
      planFor({ roleArn: ROLE, profile: 'prod' }),
      planFor({ roleArn: 'arn:aws:iam::444455556666:role/other' }),
    ].map((plan) => planFingerprint(plan, {}, FILES));
    assert.equal(new Set(prints).size, prints.length, prints.join(' '));
  });
  it('a profile in the settings wins over AWS_PROFILE', () => {
    const plan = planFor({ profile: 'prod' });
    assert.equal(planFingerprint(plan, { AWS_PROFILE: 'other' }, FILES), planFingerprint(plan, {}, FILES));
  });
});

describe('resolveRegistry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecr-login-target-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"registries": {"x": ');

  it('no file: every ECR host under the default chain, every other host not ECR', () => {
    const missing = join(dir, 'missing.json');
    assert.deepEqual(resolveRegistry(PROD, missing), { kind: 'ecr', target: { registry: parseRegistry(PROD), plan: DEFAULT_CHAIN } });
    assert.deepEqual(resolveRegistry('docker.io', missing), { kind: 'not-ecr' });
  });
  it('an unusable file: no token for an ECR host; another host is still not ECR, with the problem', () => {
    const ecr = resolveRegistry(PROD, bad);
    assert.equal(ecr.kind, 'bad-settings');
    assert.match(ecr.kind === 'bad-settings' ? ecr.problem : '', /^settings file .*bad\.json: not valid JSON/);
    const other = resolveRegistry('docker.io', bad);
    assert.equal(other.kind, 'not-ecr');
    assert.match(other.kind === 'not-ecr' ? (other.settingsProblem ?? '') : '', /bad\.json: not valid JSON/);
  });
});

describe('noTokenLine', () => {
  it('names the registry, and the alias it was asked as', () => {
    const registry = parseRegistry(PROD) as EcrRegistry;
    assert.equal(noTokenLine(registry, 'AccessDeniedException'), `cannot get an ECR token for ${PROD}: AccessDeniedException`);
    assert.equal(noTokenLine(registry, 'x', 'registry.example.com'), `cannot get an ECR token for ${PROD} (for registry.example.com): x`);
    assert.equal(noTokenLine(parseRegistry('public.ecr.aws') as EcrRegistry, 'x'), 'cannot get an ECR Public token: x');
  });
});
