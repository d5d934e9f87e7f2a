import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { addHelperEntries, configuredHelpers, credHelpersKey, DockerConfigError, dockerConfigArchive, helperFor } from '../../src/commands/docker-config';

const FILE = '/home/u/.docker/config.json';
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const parse = (text: string): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;

/** A Docker config as people have them: any keys and values, often auths, proxies and other helpers. */
const dockerConfig = fc.record(
  {
    auths: fc.dictionary(fc.string(), fc.record({ auth: fc.base64String(), identitytoken: fc.string() }, { requiredKeys: [] })),
    proxies: fc.dictionary(fc.string(), fc.dictionary(fc.string(), fc.string())),
    credHelpers: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.constant('ecr-login'), fc.jsonValue())),
    credsStore: fc.oneof(fc.constant('desktop'), fc.constant('ecr-login'), fc.string()),
    extra: fc.dictionary(fc.string(), fc.jsonValue()),
  },
  { requiredKeys: [] },
).map(({ extra, ...known }) => ({ ...extra, ...known }) as Record<string, unknown>);
const indentation = fc.constantFrom<undefined | number | string>(undefined, 2, 4, '\t');

describe('addHelperEntries (property): every other key keeps its value, byte for byte after parsing', () => {
  it('credHelpers: the host is added, nothing else changes; a second run changes nothing', () => {
    fc.assert(
      fc.property(dockerConfig, indentation, fc.constantFrom(HOST, 'public.ecr.aws', 'registry.example.com:5000'), (config, indent, host) => {
        const oldText = JSON.stringify(config, null, indent);
        const edit = addHelperEntries(oldText, { hosts: [host], store: false }, FILE);
        const after = parse(edit.text);
        for (const key of new Set([...Object.keys(config), ...Object.keys(after)])) {
          if (key === 'credHelpers') continue;
          assert.equal(JSON.stringify(after[key]), JSON.stringify(config[key]), key);
        }
        const beforeHelpers = (config.credHelpers ?? {}) as Record<string, unknown>;
        const afterHelpers = after.credHelpers as Record<string, unknown>;
        assert.equal(afterHelpers[host], 'ecr-login');
        for (const key of Object.keys(beforeHelpers)) if (key !== host) assert.equal(JSON.stringify(afterHelpers[key]), JSON.stringify(beforeHelpers[key]), key);
        assert.equal(Object.keys(afterHelpers).length, Object.keys({ ...beforeHelpers, [host]: 1 }).length);
        if (beforeHelpers[host] === 'ecr-login') assert.equal(edit.text, oldText, 'already there: the text is not even reformatted');
        else assert.match(edit.text, /^\{\n(\t[^\n]*\n)*\}\n$/, 'indented with tabs, as Docker writes it');
        const again = addHelperEntries(edit.text, { hosts: [host], store: false }, FILE);
        assert.equal(again.text, edit.text);
        assert.deepEqual(again.changes, []);
      }),
      { numRuns: 300 },
    );
  });

  it('credsStore: only credsStore changes', () => {
    fc.assert(
      fc.property(dockerConfig, (config) => {
        const edit = addHelperEntries(JSON.stringify(config), { hosts: [], store: true }, FILE);
        const after = parse(edit.text);
        assert.equal(after.credsStore, 'ecr-login');
        const { credsStore: _a, ...restAfter } = after;
        const { credsStore: _b, ...restBefore } = config;
        assert.equal(JSON.stringify(restAfter), JSON.stringify(restBefore));
        assert.equal(edit.changes.length, config.credsStore === 'ecr-login' ? 0 : 1);
      }),
      { numRuns: 200 },
    );
  });
});

describe('addHelperEntries: examples', () => {
  it('no file yet: a new one with just the entries', () => {
    const edit = addHelperEntries(undefined, { hosts: [HOST, 'public.ecr.aws'], store: false }, FILE);
    assert.equal(edit.text, `{\n\t"credHelpers": {\n\t\t"${HOST}": "ecr-login",\n\t\t"public.ecr.aws": "ecr-login"\n\t}\n}\n`);
    assert.deepEqual(edit.changes, [`added "credHelpers": {"${HOST}": "ecr-login"}`, 'added "credHelpers": {"public.ecr.aws": "ecr-login"}']);
  });
  it('an empty file is an empty config, as Docker reads it', () => {
    assert.deepEqual(parse(addHelperEntries(' \n', { hosts: [], store: true }, FILE).text), { credsStore: 'ecr-login' });
  });
  it('says what another helper was replaced', () => {
    const edit = addHelperEntries(JSON.stringify({ credHelpers: { [HOST]: 'ecr-login-prod' }, credsStore: 'desktop' }), { hosts: [HOST], store: true }, FILE);
    assert.deepEqual(edit.changes, ['set "credsStore": "ecr-login" (was "desktop")', `added "credHelpers": {"${HOST}": "ecr-login"} (was "ecr-login-prod")`]);
  });
  it('reports what was there already', () => {
    const edit = addHelperEntries(JSON.stringify({ credHelpers: { [HOST]: 'ecr-login' } }), { hosts: [HOST, 'public.ecr.aws'], store: false }, FILE);
    assert.deepEqual(edit.unchanged, [`"credHelpers": {"${HOST}": "ecr-login"}`]);
    assert.equal(edit.changes.length, 1);
  });
  for (const [label, text, reason] of [
    ['text that is not JSON', '{"auths": {', /is not valid JSON \(.+\); it was left as it is$/],
    ['an array', '[]', /is not a JSON object; it was left as it is$/],
    ['credHelpers that is not an object', '{"credHelpers": "ecr-login"}', /"credHelpers" is not an object; it was left as it is$/],
  ] as const) {
    it(`refuses ${label}, naming the file`, () => {
      assert.throws(
        () => addHelperEntries(text, { hosts: [HOST], store: false }, FILE),
        (error: unknown) => error instanceof DockerConfigError && error.message.startsWith(FILE) && reason.test(error.message),
      );
    });
  }
});

describe('credHelpersKey', () => {
  for (const [given, key] of [
    [HOST, HOST],
    [`https://${HOST.toUpperCase()}/v2/`, HOST],
    [` ${HOST}:5000 `, `${HOST}:5000`],
    ['http://public.ecr.aws/', 'public.ecr.aws'],
  ] as const) {
    it(`${JSON.stringify(given)} → ${key}`, () => assert.equal(credHelpersKey(given), key));
  }
});

describe('configuredHelpers and helperFor', () => {
  const helpers = configuredHelpers(JSON.stringify({ credsStore: 'desktop', credHelpers: { [HOST]: 'ecr-login', 'gcr.io': 'gcloud', odd: 3 } }), FILE);
  it('reads the helper names, leaving out what is not one', () => {
    assert.deepEqual(helpers, { credsStore: 'desktop', credHelpers: { [HOST]: 'ecr-login', 'gcr.io': 'gcloud' } });
  });
  it('Docker runs the credHelpers entry of a registry, else credsStore', () => {
    assert.equal(helperFor(helpers, `https://${HOST}`), 'ecr-login');
    assert.equal(helperFor(helpers, 'gcr.io'), 'gcloud');
    assert.equal(helperFor(helpers, 'public.ecr.aws'), 'desktop');
    assert.equal(helperFor(configuredHelpers('{}', FILE), 'public.ecr.aws'), undefined);
  });
});

describe('dockerConfigArchive', () => {
  it('holds .docker/ (0700) and .docker/config.json (0600) with the text given, owned by root', () => {
    const tar = gunzipSync(dockerConfigArchive('{"credsStore": "ecr-login"}\n', 1_700_000_000));
    const header = (offset: number) => ({
      name: tar.toString('utf8', offset, offset + 100).replace(/\0+$/, ''),
      mode: tar.toString('ascii', offset + 100, offset + 107),
      owner: tar.toString('ascii', offset + 265, offset + 269),
    });
    assert.deepEqual(header(0), { name: '.docker/', mode: '0000700', owner: 'root' });
    assert.deepEqual(header(512), { name: '.docker/config.json', mode: '0000600', owner: 'root' });
    assert.equal(tar.toString('utf8', 1024, 1024 + 28), '{"credsStore": "ecr-login"}\n');
  });
});
