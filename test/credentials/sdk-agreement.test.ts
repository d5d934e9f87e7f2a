/**
 * The identity fingerprint against the real AWS SDK (docs/SPEC.md section 5): for many shared
 * files and environments, the SDK's default chain resolves credentials against the loopback
 * STS and container-credentials emulators (test/support/sdk-chain-runner), each outcome is named
 * as a principal (the static key, the role STS issued for, the task role), and the fingerprint
 * is computed for the same files and environment. Whenever two cases share a fingerprint, the
 * SDK must have ended as the same principal in both (or failed in both): a shared fingerprint
 * is a shared cache entry, so anything else would serve one identity another's token.
 *
 * The cases are generated from a fixed seed over a small alphabet (three profile names, three
 * keys, two roles), so that many differ only in what must not matter (order, region, secrets,
 * unrelated profiles) and many in what must; the defects once found are added by hand:
 * [default] against [profile default] in both orders, role chains deeper than ten hops, profile
 * names every JavaScript object inherits.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { identityFingerprint } from '../../src/identity/fingerprint';
import { readSharedConfigTexts } from '../../src/identity/shared-files';
import { ECS_AUTH_TOKEN, STATIC_KEYS, roleArn, startCredentialWorld, type CredentialWorld, type Home } from '../support/credential-world';
import { runCommand, type Env } from '../support/helper-process';
import type { ChainOutcome } from '../support/sdk-chain-runner';

let world: CredentialWorld;
let home: Home;
before(async () => {
  world = await startCredentialWorld();
  home = world.newHome();
});
after(() => world.close());

const RUNNER = join(__dirname, '..', 'support', 'sdk-chain-runner.js');
const lines = (...text: string[]): string => `${text.join('\n')}\n`;

interface Case {
  readonly label: string;
  readonly config?: string;
  readonly credentials?: string;
  /** On top of the emulators' endpoints; AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE are added. */
  readonly env: Env;
}

interface Judged {
  readonly label: string;
  readonly hash: string;
  /** `key:<id>`, `role:<arn>`, `task:<arn>`, or `failed`. */
  readonly principal: string;
  readonly detail: string;
}

let written = 0;
/** The case's files, each at a path of its own (the SDK caches files by path), and its environment. */
function environmentOf(testCase: Case): Env {
  written += 1;
  const dir = join(home.home, `case-${written}`);
  mkdirSync(dir);
  const config = join(dir, 'config');
  const credentials = join(dir, 'credentials');
  if (testCase.config !== undefined) writeFileSync(config, testCase.config);
  if (testCase.credentials !== undefined) writeFileSync(credentials, testCase.credentials);
  return home.env({ AWS_REGION: 'eu-west-1', AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: credentials, ...testCase.env });
}

function principalOf(outcome: ChainOutcome): string {
  if ('failed' in outcome) return 'failed';
  const id = outcome.accessKeyId;
  if (id in STATIC_KEYS) return `key:${id}`;
  const fromSts = world.sts.issued.find((credential) => credential.accessKeyId === id);
  if (fromSts !== undefined) return `role:${fromSts.detail}`;
  const fromTask = world.ecs.map((ecs) => ecs.issued.find((credential) => credential.accessKeyId === id)).find(Boolean);
  if (fromTask !== undefined) return `task:${fromTask.detail}`;
  return `unknown:${id}`;
}

/** Resolves every case with the SDK, in one child process per batch, and fingerprints it. */
async function judge(cases: readonly Case[]): Promise<Judged[]> {
  const environments = cases.map(environmentOf);
  const result = await runCommand(process.execPath, [RUNNER], { env: home.env(), input: JSON.stringify(environments), timeoutMs: 110_000 });
  assert.equal(result.code, 0, result.stderr);
  const outcomes = JSON.parse(result.stdout) as ChainOutcome[];
  assert.equal(outcomes.length, cases.length);
  assert.deepEqual(home.blocked(), [], 'nothing beyond loopback');
  return cases.map((testCase, index) => {
    const env = environments[index] as Env;
    const outcome = outcomes[index] as ChainOutcome;
    return {
      label: testCase.label,
      hash: identityFingerprint(env, readSharedConfigTexts(env, home.home)).hash,
      principal: principalOf(outcome),
      detail: 'failed' in outcome ? outcome.failed : outcome.accessKeyId,
    };
  });
}

/** Every fingerprint shared by two cases names one principal. */
function assertAgreement(judged: readonly Judged[]): void {
  const byHash = new Map<string, Judged[]>();
  for (const one of judged) byHash.set(one.hash, [...(byHash.get(one.hash) ?? []), one]);
  for (const group of byHash.values()) {
    const principals = new Set(group.map((one) => one.principal));
    assert.equal(principals.size, 1, `one fingerprint, ${principals.size} principals:\n${group.map((one) => `  ${one.principal} (${one.detail}) ← ${one.label}`).join('\n')}`);
  }
}

/** Deterministic pseudo-random numbers (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ['AKIDSTATICALPHA', 'AKIDSTATICBRAVO', 'AKIDBASE'] as const;
const ROLES = [roleArn('one'), roleArn('two')];
const NAMES = ['default', 'a', 'b'];

function generate(seed: number, count: number): Case[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const chance = (p: number): boolean => next() < p;
  const keyLines = (id: (typeof KEYS)[number]): string[] => [`aws_access_key_id = ${id}`, `aws_secret_access_key = ${STATIC_KEYS[id]}`];
  const body = (): string[] => {
    switch (pick(['static', 'static', 'key-only', 'role-source', 'role-source', 'role-env', 'role-task', 'source-only', 'static-and-role', 'region'] as const)) {
      case 'static':
        return [...keyLines(pick(KEYS)), ...(chance(0.3) ? ['region = us-west-2'] : [])];
      case 'key-only':
        return [`aws_access_key_id = ${pick(KEYS)}`];
      case 'role-source':
        return [`role_arn = ${pick(ROLES)}`, `source_profile = ${pick([...NAMES, 'missing'])}`];
      case 'role-env':
        return [`role_arn = ${pick(ROLES)}`, 'credential_source = Environment'];
      case 'role-task':
        return [`role_arn = ${pick(ROLES)}`, 'credential_source = EcsContainer'];
      case 'source-only':
        return [`credential_source = ${pick(['Environment', 'EcsContainer'])}`];
      case 'static-and-role':
        return [...keyLines(pick(KEYS)), `role_arn = ${pick(ROLES)}`, `source_profile = ${pick(NAMES)}`];
      case 'region':
        return ['region = eu-central-1'];
    }
  };
  const cases: Case[] = [];
  for (let index = 0; index < count; index += 1) {
    const configSections: string[][] = [];
    const credentialSections: string[][] = [];
    for (const name of NAMES) {
      if (name === 'default') {
        if (chance(0.4)) configSections.push(['[default]', ...body()]);
        if (chance(0.3)) configSections.push(['[profile default]', ...body()]);
      } else if (chance(0.5)) {
        configSections.push([`[profile ${name}]`, ...body()]);
      }
      if (chance(0.35)) credentialSections.push([`[${name}]`, ...body()]);
    }
    // Sections the SDK ignores where they are: [x] in config, [profile x] in credentials.
    if (chance(0.15)) configSections.push(['[a]', ...keyLines(pick(KEYS))]);
    if (chance(0.15)) credentialSections.push(['[profile b]', ...keyLines(pick(KEYS))]);
    const shuffled = (sections: string[][]): string => lines(...sections.sort(() => next() - 0.5).flat());
    const env: Record<string, string> = {};
    const profile = pick([undefined, undefined, 'a', 'b', 'default', 'missing']);
    if (profile !== undefined) env.AWS_PROFILE = profile;
    if (chance(0.3)) Object.assign(env, pick([['AKIDENVALPHA', STATIC_KEYS.AKIDENVALPHA], ['AKIDENVBRAVO', STATIC_KEYS.AKIDENVBRAVO]].map(([id, secret]) => ({ AWS_ACCESS_KEY_ID: id, AWS_SECRET_ACCESS_KEY: secret }))));
    if (chance(0.6)) Object.assign(env, { AWS_CONTAINER_CREDENTIALS_FULL_URI: pick(world.ecs).fullUri, AWS_CONTAINER_AUTHORIZATION_TOKEN: ECS_AUTH_TOKEN });
    cases.push({ label: `seed ${seed} case ${index}`, config: shuffled(configSections), credentials: shuffled(credentialSections), env });
  }
  return cases;
}

const task = (index: 0 | 1): Env => ({ AWS_CONTAINER_CREDENTIALS_FULL_URI: world.ecs[index].fullUri, AWS_CONTAINER_AUTHORIZATION_TOKEN: ECS_AUTH_TOKEN });
const keys = (id: (typeof KEYS)[number]): string[] => [`aws_access_key_id = ${id}`, `aws_secret_access_key = ${STATIC_KEYS[id]}`];

describe('the fingerprint and the SDK agree on who is asking', () => {
  it('over 160 generated shared files and environments', async (t) => {
    const judged = await judge([...generate(20240601, 80), ...generate(7, 80)]);
    assertAgreement(judged);
    const principals = new Set(judged.map((one) => one.principal));
    const shared = judged.length - new Set(judged.map((one) => one.hash)).size;
    t.diagnostic(`${judged.length} cases, ${principals.size} principals, ${shared} cases sharing a fingerprint with an earlier one`);
    assert.ok(principals.size >= 8 && shared >= 10, 'the cases exercise both distinct and shared fingerprints');
  });

  it('[default] and [profile default] in the config file, in both orders', async () => {
    const plain = ['[default]', ...keys('AKIDSTATICALPHA')];
    const prefixed = ['[profile default]', ...keys('AKIDSTATICBRAVO')];
    const role = ['[default]', `role_arn = ${roleArn('one')}`, 'source_profile = base', '[profile base]', ...keys('AKIDBASE')];
    const judged = await judge([
      { label: 'plain only', config: lines(...plain), env: {} },
      { label: 'prefixed only', config: lines(...prefixed), env: {} },
      { label: 'plain, then prefixed', config: lines(...plain, ...prefixed), env: {} },
      { label: 'prefixed, then plain', config: lines(...prefixed, ...plain), env: {} },
      { label: 'a role in [default], then prefixed', config: lines(...role, ...prefixed), env: {} },
      { label: 'prefixed, then a role in [default]', config: lines(...prefixed, ...role), env: {} },
      { label: 'a role in [default] only', config: lines(...role), env: {} },
      { label: 'an empty [profile default], then plain', config: lines('[profile default]', ...plain), env: {} },
    ]);
    assertAgreement(judged);
    assert.deepEqual(
      judged.map((one) => one.principal),
      ['key:AKIDSTATICALPHA', 'key:AKIDSTATICBRAVO', 'key:AKIDSTATICBRAVO', 'key:AKIDSTATICBRAVO', 'key:AKIDSTATICBRAVO', 'key:AKIDSTATICBRAVO', `role:${roleArn('one')}`, 'key:AKIDSTATICALPHA'],
      'what the SDK does, for the record',
    );
  });

  it('role chains deeper than ten hops', async () => {
    const chain = (depth: number, leaf: string[]): string => {
      const text: string[] = [];
      for (let index = 0; index < depth; index += 1) {
        text.push(`[profile p${index}]`, `role_arn = ${roleArn(`hop${index}`)}`, `source_profile = p${index + 1}`);
      }
      return lines(...text, ...(leaf.length > 0 ? [`[profile p${depth}]`, ...leaf] : []));
    };
    const cases: Case[] = [];
    for (const depth of [3, 11, 12, 15]) {
      for (const [leafName, leaf] of [['keys', keys('AKIDBASE')], ['nothing', []]] as const) {
        for (const container of [0, 1] as const) {
          cases.push({ label: `depth ${depth}, ${leafName} at the end, task ${container}`, config: chain(depth, [...leaf]), env: { AWS_PROFILE: 'p0', ...task(container) } });
        }
      }
    }
    const judged = await judge(cases);
    assertAgreement(judged);
    for (const one of judged) {
      const expected = one.label.includes('keys') ? `role:${roleArn('hop0')}` : one.label.endsWith('task 0') ? `task:${world.ecs[0].roleArn}` : `task:${world.ecs[1].roleArn}`;
      assert.equal(one.principal, expected, `${one.label}: ${one.detail}`);
    }
  });

  for (const name of ['constructor', 'toString']) {
    it(`a profile named ${name}, and a role whose source_profile is ${name}`, async () => {
      // One child process per case: the SDK's parser writes these sections onto the inherited
      // function itself, where the next case in the same process would find them.
      const cases: Case[] = [
        { label: `AWS_PROFILE=${name}, keys in credentials`, credentials: lines(`[${name}]`, ...keys('AKIDSTATICALPHA')), env: { AWS_PROFILE: name, ...task(0) } },
        { label: `AWS_PROFILE=${name}, keys in config`, config: lines(`[profile ${name}]`, ...keys('AKIDSTATICALPHA')), env: { AWS_PROFILE: name, ...task(1) } },
        { label: 'the task alone', env: task(0) },
        { label: 'the other task alone', env: task(1) },
        {
          label: `role from source_profile ${name}`,
          config: lines('[profile r]', `role_arn = ${roleArn('r')}`, `source_profile = ${name}`, `[profile ${name}]`, ...keys('AKIDSTATICALPHA')),
          env: { AWS_PROFILE: 'r', ...task(0) },
        },
        {
          label: `role from source_profile ${name}, the other task`,
          config: lines('[profile r]', `role_arn = ${roleArn('r')}`, `source_profile = ${name}`, `[profile ${name}]`, ...keys('AKIDSTATICALPHA')),
          env: { AWS_PROFILE: 'r', ...task(1) },
        },
        { label: 'the same role from a profile with the same keys', config: lines('[profile r]', `role_arn = ${roleArn('r')}`, 'source_profile = s', '[profile s]', ...keys('AKIDSTATICALPHA')), env: { AWS_PROFILE: 'r', ...task(0) } },
      ];
      const judged: Judged[] = [];
      for (const one of cases) judged.push(...(await judge([one])));
      assertAgreement(judged);
      assert.deepEqual(
        judged.map((one) => one.principal),
        [`task:${world.ecs[0].roleArn}`, `task:${world.ecs[1].roleArn}`, `task:${world.ecs[0].roleArn}`, `task:${world.ecs[1].roleArn}`, `task:${world.ecs[0].roleArn}`, `task:${world.ecs[1].roleArn}`, `role:${roleArn('r')}`],
        'the SDK passes these profiles over',
      );
    });
  }
});
