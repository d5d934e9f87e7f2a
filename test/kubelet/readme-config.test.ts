/**
 * The CredentialProviderConfig the README gives for the kubelet: its matchImages, read as the
 * kubelet reads them (pkg/credentialprovider URLsMatch: same number of labels, each label a
 * glob, ports equal), cover every private ECR host form of the hostname grammar and ECR
 * Public, and every pattern is there for a host form. Its JSON examples parse.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseRegistry } from '../../src/registry/parse';
import { REPO_ROOT } from '../support/helper-process';

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Kubernetes nodes (the kubelet)'), readme.indexOf('## AWS credentials'));
const config = /```yaml\n(apiVersion: kubelet\.config\.k8s\.io\/v1\nkind: CredentialProviderConfig\n[\s\S]*?)```/.exec(section)?.[1] ?? '';
const matchImages = [...(/matchImages:\n((?:\s+(?:- .*|#.*)\n)+)/.exec(config)?.[1] ?? '').matchAll(/^\s+- "([^"]+)"$/gm)].map((match) => match[1] ?? '');

/** Go's filepath.Match for one host label: `*` is any run of characters. */
const labelMatches = (glob: string, label: string): boolean => new RegExp(`^${glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(label);

function kubeletMatches(pattern: string, image: string): boolean {
  const [globHost = '', globPort = ''] = pattern.split('/', 1)[0]?.split(':') ?? [];
  const [host = '', port = ''] = image.split('/', 1)[0]?.split(':') ?? [];
  const globLabels = globHost.split('.');
  const labels = host.split('.');
  return globPort === port && globLabels.length === labels.length && globLabels.every((glob, index) => labelMatches(glob, labels[index] ?? ''));
}

const DKR_FORMS = ['dkr.ecr', 'dkr.ecr-fips', 'dkr-ecr', 'dkr-ecr-fips'];
const DOMAINS = ['amazonaws.com', 'amazonaws.com.cn', 'amazonaws.eu', 'on.aws', 'on.amazonwebservices.com.cn', 'c2s.ic.gov', 'sc2s.sgov.gov', 'csp.hci.ic.gov', 'cloud.adc-e.uk'];
const ECR_HOSTS = [...DKR_FORMS.flatMap((dkr) => DOMAINS.map((domain) => `123456789012.${dkr}.us-east-1.${domain}`)), 'public.ecr.aws', 'ecr-public.aws.com'];

describe('README: the kubelet CredentialProviderConfig', () => {
  it('is there, naming this plugin with args [get-credentials] in credentialprovider.kubelet.k8s.io/v1', () => {
    assert.match(config, /- name: docker-credential-ecr-login\n\s+apiVersion: credentialprovider\.kubelet\.k8s\.io\/v1\n\s+args:\n\s+- get-credentials\n/);
    assert.match(config, /defaultCacheDuration: \S+/);
    assert.ok(matchImages.length > 0);
  });

  it('every host form of the grammar is ECR, and matched by a pattern, for images with a path, tag or digest', () => {
    for (const host of ECR_HOSTS) {
      assert.ok(parseRegistry(host), `${host} is ECR`);
      for (const image of [`${host}/app:1`, `${host}/team/app@sha256:${'a'.repeat(64)}`]) {
        assert.ok(matchImages.some((pattern) => kubeletMatches(pattern, image)), `no matchImages pattern for ${image}`);
      }
    }
  });

  it('every pattern is there for a host form, and none matches a look-alike', () => {
    for (const pattern of matchImages) assert.ok(ECR_HOSTS.some((host) => kubeletMatches(pattern, `${host}/app`)), `${pattern} matches no ECR host`);
    for (const host of ['123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example', 'registry.example.com', 'public.ecr.aws.evil.example']) {
      assert.equal(matchImages.some((pattern) => kubeletMatches(pattern, `${host}/app`)), false, host);
    }
  });

  it('as the kubelet reads them, a pattern without a port leaves out images that name one (as the README says)', () => {
    assert.equal(matchImages.some((pattern) => kubeletMatches(pattern, '123456789012.dkr.ecr.us-east-1.amazonaws.com:443/app')), false);
    assert.match(section, /add the same patterns with `:443`/);
  });

  it('its JSON examples parse', () => {
    const blocks = [...section.matchAll(/```json\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
    assert.ok(blocks.length > 0);
    for (const block of blocks) assert.doesNotThrow(() => JSON.parse(block), block.slice(0, 80));
  });
});
