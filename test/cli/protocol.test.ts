/**
 * The Docker credential-helper protocol through the real bin/, byte for byte (docs/SPEC.md section 1).
 * These runs need no AWS: they cover every verb's answers that do not involve a token.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LOG_FILE_NAME } from '../../src/logging/logger';
import { NOT_ECR_INPUTS } from '../registry/hostname-cases';
import { startEcrEmulator } from '../support/ecr-emulator';
import { cleanEnv, makeTempHome, runHelper, type HelperResult } from '../support/helper-process';

const { home, cleanup } = makeTempHome();
after(cleanup);
const env = cleanEnv(home);
const USAGE = 'Usage: docker-credential-ecr-login <store|get|erase|list|version>\n';
const ECR_HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

function assertNoStackTrace(result: HelperResult): void {
  for (const stream of [result.stdout, result.stderr]) {
    assert.doesNotMatch(stream, /\n\s+at |Error: .*\n.*node:internal|node_modules/, 'no stack trace reaches the user');
  }
}

describe('version and help', () => {
  for (const args of [['version'], ['-v'], ['--version']]) {
    it(`${args.join(' ')} prints one line with name and version`, async () => {
      const result = await runHelper(args, { env });
      assert.equal(result.code, 0);
      assert.match(result.stdout, /^docker-credential-ecr-login \d+\.\d+\.\d+\n$/);
      assert.equal(result.stderr, '');
    });
  }
  for (const args of [['-h'], ['--help']]) {
    it(`${args.join(' ')} prints the usage line first and exits 0`, async () => {
      const result = await runHelper(args, { env });
      assert.equal(result.code, 0);
      assert.ok(result.stdout.startsWith(USAGE), result.stdout);
      for (const verb of ['get', 'store', 'erase', 'list', 'version']) assert.match(result.stdout, new RegExp(`\\b${verb}\\b`));
    });
  }
});

describe('usage errors', () => {
  for (const args of [[], ['fetch'], ['GET'], ['get', 'extra'], ['--bogus'], ['list', '--json']]) {
    it(`[${args.join(' ')}] prints the usage line on stdout and exits 1`, async () => {
      const result = await runHelper(args, { env });
      assert.equal(result.code, 1);
      assert.equal(result.stdout, USAGE);
      assertNoStackTrace(result);
    });
  }
  it('names an unknown verb on stderr', async () => {
    const result = await runHelper(['fetch'], { env });
    assert.equal(result.stderr, "docker-credential-ecr-login: unknown verb 'fetch'\n");
  });
});

describe('get without a usable registry', () => {
  for (const [label, input] of [
    ['empty input', ''],
    ['only whitespace', ' \n\t\r\n'],
  ] as const) {
    it(`${label}: "no credentials server URL"`, async () => {
      const result = await runHelper(['get'], { env, input });
      assert.equal(result.code, 1);
      assert.equal(result.stdout, 'no credentials server URL\n');
    });
  }
  for (const host of ['docker.io', 'https://index.docker.io/v1/', 'ghcr.io', 'localhost:5000']) {
    it(`${host}: "credentials not found in native keychain", so Docker goes on anonymously, and nothing on the terminal`, async () => {
      const result = await runHelper(['get'], { env, input: host });
      assert.equal(result.code, 1);
      assert.equal(result.stdout, 'credentials not found in native keychain\n');
      assert.equal(result.stderr, '');
    });
  }
});

describe('get for a host that looks like ECR but breaks the grammar', () => {
  const nearMisses: Array<[string, RegExp]> = [
    ['12345678901.dkr.ecr.us-east-1.amazonaws.com', /the account ID must be 12 digits, not 11/],
    ['dkr.ecr.us-east-1.amazonaws.com', /no account ID/],
    ['https://123456789012.dkr.ecr.us-east-1.amazonaws.co/v2/', /"amazonaws\.co" is not an ECR domain \(did you mean amazonaws\.com\?\)/],
    ['123456789012.dkr.ecr.us-east-1.amazoneaws.com', /"amazoneaws\.com" is not an ECR domain \(did you mean amazonaws\.com\?\)/],
    ['123456789012.dkr.ecr.-us-east-1.amazonaws.com', /"-us-east-1" is not a region name/],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example', /the host must end at amazonaws\.com/],
  ];
  for (const [input, reason] of nearMisses) {
    it(`${input}: still "credentials not found in native keychain", and why on stderr and in the log at the default level`, async () => {
      const { home: ownHome, cleanup: cleanOwn } = makeTempHome();
      try {
        const result = await runHelper(['get'], { env: cleanEnv(ownHome), input });
        assert.deepEqual([result.code, result.stdout], [1, 'credentials not found in native keychain\n']);
        assert.match(result.stderr, /^docker-credential-ecr-login: [^\n]+ is not an ECR registry: [^\n]+\n$/);
        assert.match(result.stderr, reason);
        const logged = readFileSync(join(ownHome, '.ecr', 'log', LOG_FILE_NAME), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { level: number; reason?: string });
        assert.ok(logged.some((line) => line.level >= 30 && reason.test(line.reason ?? '')), 'the log says why, at info or above');
      } finally {
        cleanOwn();
      }
    });
  }
});

describe('bad stdin is refused in one short line, never read without bound', () => {
  const cases: Array<[string, Buffer, RegExp]> = [
    ['an ECR host followed by a megabyte of spaces', Buffer.concat([Buffer.from(ECR_HOST), Buffer.alloc(1024 * 1024, ' ')]), /^input too large: more than 4096 bytes on stdin\n$/],
    ['eight megabytes of binary', Buffer.alloc(8 * 1024 * 1024, 0xab), /^input too large/],
    ['bytes that are not UTF-8', Buffer.from([0xff, 0xfe, 0x00, 0x41]), /^invalid input: stdin is not UTF-8 text\n$/],
    ['binary with NUL bytes', Buffer.from('public.ecr.aws\0\0\x01'), /^invalid input: stdin holds control characters, not text\n$/],
  ];
  for (const verb of ['get', 'erase', 'store']) {
    for (const [label, input, expected] of cases) {
      it(`${verb}: ${label}`, async () => {
        const result = await runHelper([verb], { env, input });
        assert.equal(result.code, 1);
        assert.match(result.stdout, expected);
        assert.ok(Buffer.byteLength(result.stdout) < 300);
        assertNoStackTrace(result);
      });
    }
  }
});

describe('store', () => {
  const payload = (fields: object): string => JSON.stringify(fields);
  it('succeeds silently for a private ECR host, storing nothing', async () => {
    const result = await runHelper(['store'], { env, input: payload({ ServerURL: ECR_HOST, Username: 'AWS', Secret: 'from-docker-login' }) });
    assert.deepEqual([result.code, result.stdout, result.stderr], [0, '', '']);
  });
  for (const host of ['public.ecr.aws', 'https://ecr-public.aws.com', `https://${ECR_HOST}:443/v2/`]) {
    it(`succeeds for ${host}`, async () => {
      const result = await runHelper(['store'], { env, input: payload({ ServerURL: host, Username: 'AWS', Secret: 'x' }) });
      assert.deepEqual([result.code, result.stdout], [0, '']);
    });
  }
  it('answers "not implemented" for a host that is not ECR', async () => {
    const result = await runHelper(['store'], { env, input: payload({ ServerURL: 'docker.io', Username: 'me', Secret: 'x' }) });
    assert.deepEqual([result.code, result.stdout], [1, 'not implemented\n']);
  });
  it('succeeds for any host with AWS_ECR_IGNORE_CREDS_STORAGE=true', async () => {
    const result = await runHelper(['store'], {
      env: { ...env, AWS_ECR_IGNORE_CREDS_STORAGE: 'true' },
      input: payload({ ServerURL: 'docker.io', Username: 'me', Secret: 'x' }),
    });
    assert.deepEqual([result.code, result.stdout], [0, '']);
  });
  for (const [label, input, expected] of [
    ['a missing ServerURL', payload({ Username: 'AWS', Secret: 'x' }), 'no credentials server URL\n'],
    ['an empty ServerURL', payload({ ServerURL: ' ', Username: 'AWS', Secret: 'x' }), 'no credentials server URL\n'],
    ['a missing Username', payload({ ServerURL: ECR_HOST, Secret: 'x' }), 'no credentials username\n'],
    ['an empty Username', payload({ ServerURL: ECR_HOST, Username: '', Secret: 'x' }), 'no credentials username\n'],
  ] as const) {
    it(`refuses ${label}`, async () => {
      const result = await runHelper(['store'], { env, input });
      assert.deepEqual([result.code, result.stdout], [1, expected]);
    });
  }
  for (const [label, input] of [
    ['empty input', ''],
    ['text that is not JSON', 'public.ecr.aws'],
    ['a JSON array', '[1,2]'],
    ['a number for ServerURL', payload({ ServerURL: 5, Username: 'AWS' })],
  ] as const) {
    it(`refuses ${label} in one line`, async () => {
      const result = await runHelper(['store'], { env, input });
      assert.equal(result.code, 1);
      assert.match(result.stdout, /^(invalid credentials payload: [^\n]+|no credentials server URL)\n$/);
      assertNoStackTrace(result);
    });
  }
});

describe('erase', () => {
  for (const host of [ECR_HOST, 'public.ecr.aws', `https://${ECR_HOST}\n`]) {
    it(`succeeds silently for ${JSON.stringify(host)}`, async () => {
      const result = await runHelper(['erase'], { env, input: host });
      assert.deepEqual([result.code, result.stdout, result.stderr], [0, '', '']);
    });
  }
  it('answers "not implemented" for a host that is not ECR, unless storage is ignored', async () => {
    const refused = await runHelper(['erase'], { env, input: 'docker.io' });
    assert.deepEqual([refused.code, refused.stdout], [1, 'not implemented\n']);
    const ignored = await runHelper(['erase'], { env: { ...env, AWS_ECR_IGNORE_CREDS_STORAGE: 'true' }, input: 'docker.io' });
    assert.deepEqual([ignored.code, ignored.stdout], [0, '']);
  });
  it('refuses empty input with "no credentials server URL"', async () => {
    const result = await runHelper(['erase'], { env, input: '\n' });
    assert.deepEqual([result.code, result.stdout], [1, 'no credentials server URL\n']);
  });
});

describe('list', () => {
  it('on a machine with no cache answers {} and creates nothing', async () => {
    const { home: emptyHome, cleanup: cleanEmpty } = makeTempHome();
    try {
      const result = await runHelper(['list'], { env: cleanEnv(emptyHome) });
      assert.deepEqual([result.code, result.stdout, result.stderr], [0, '{}\n', '']);
      assert.deepEqual(readdirSync(emptyHome), []);
    } finally {
      cleanEmpty();
    }
  });

  it('answers a JSON object and a newline without reading stdin or calling AWS', async () => {
    const result = await runHelper(['list'], { env: { ...env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9' }, input: 'ignored' });
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^\{.*\}\n$/);
    assert.equal(typeof JSON.parse(result.stdout), 'object');
  });
});

describe('look-alike and foreign hosts through the real bin/, with AWS reachable', () => {
  it('every host the grammar rejects gets "credentials not found in native keychain" and no AWS call', async () => {
    const emulator = await startEcrEmulator({ credentials: { AKIDLOOKALIKE: 'lookalike-secret' } });
    try {
      const awsEnv = { ...env, AWS_ACCESS_KEY_ID: 'AKIDLOOKALIKE', AWS_SECRET_ACCESS_KEY: 'lookalike-secret', AWS_ENDPOINT_URL_ECR: emulator.url, AWS_ENDPOINT_URL_ECR_PUBLIC: emulator.url };
      for (const input of NOT_ECR_INPUTS.filter((text) => text.trim() !== '')) {
        const result = await runHelper(['get'], { env: awsEnv, input });
        assert.deepEqual([result.code, result.stdout], [1, 'credentials not found in native keychain\n'], JSON.stringify(input));
      }
      assert.equal(emulator.calls.length, 0);
    } finally {
      await emulator.close();
    }
  });
});
