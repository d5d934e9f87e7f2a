import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainNearMiss } from '../../src/registry/near-miss';
import { parseRegistry } from '../../src/registry/parse';
import { NOT_ECR_INPUTS } from './hostname-cases';

describe('explainNearMiss: hosts that look like ECR but break the grammar (docs/SPEC.md section 2)', () => {
  const cases: Array<[string, string]> = [
    ['12345678901.dkr.ecr.us-east-1.amazonaws.com', 'the account ID must be 12 digits, not 11'],
    ['1234567890123.dkr.ecr.us-east-1.amazonaws.com', 'the account ID must be 12 digits, not 13'],
    ['x23456789012.dkr.ecr.us-east-1.amazonaws.com', 'the account ID must be 12 digits, not "x23456789012"'],
    ['dkr.ecr.us-east-1.amazonaws.com', 'no account ID: a private ECR host reads <12-digit account>.dkr.ecr.<region>.<domain>'],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.co', '"amazonaws.co" is not an ECR domain (did you mean amazonaws.com?)'],
    ['123456789012.dkr.ecr.us-east-1.amazoneaws.com', '"amazoneaws.com" is not an ECR domain (did you mean amazonaws.com?)'],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.org', '"amazonaws.org" is not an ECR domain (amazonaws.com, amazonaws.com.cn, amazonaws.eu, on.aws, on.amazonwebservices.com.cn, c2s.ic.gov, sc2s.sgov.gov, csp.hci.ic.gov, cloud.adc-e.uk)'],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example', 'the host must end at amazonaws.com, not go on to "evil.example"'],
    ['123456789012.dkr.ecr.amazonaws.com', 'no region after dkr.ecr'],
    ['123456789012.dkr.ecr.-us-east-1.amazonaws.com', '"-us-east-1" is not a region name'],
    ['123456789012.dkr.ecr.us.east.1.amazonaws.com', '"us.east.1" is not a region name'],
    ['123456789012.dkr_ecr.us-east-1.amazonaws.com', 'expected dkr.ecr or dkr-ecr, not "dkr_ecr"'],
    ['123456789012.ecr.us-east-1.amazonaws.com', 'expected dkr.ecr after the account ID'],
    ['api.ecr.us-east-1.amazonaws.com', "that is the ECR API's endpoint; a registry host reads <12-digit account>.dkr.ecr.<region>.<domain>"],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com.', 'the host must not end with a dot'],
    ['pubic.ecr.aws', 'did you mean public.ecr.aws?'],
    ['public.ecr.aws.com', "ECR Public's registry host is exactly public.ecr.aws or ecr-public.aws.com"],
  ];
  for (const [input, reason] of cases) {
    it(`${input}: ${reason}`, () => {
      assert.equal(explainNearMiss(input), `${input} is not an ECR registry: ${reason}`);
    });
  }

  it('names every problem of a host at once', () => {
    assert.equal(
      explainNearMiss('https://12345678901.dkr.ecr.us_east_1!.amazonaws.co/v2/'),
      '12345678901.dkr.ecr.us_east_1!.amazonaws.co is not an ECR registry: the account ID must be 12 digits, not 11; "us_east_1!" is not a region name; "amazonaws.co" is not an ECR domain (did you mean amazonaws.com?)',
    );
  });

  it('explains a server URL with no usable host when it looks like ECR', () => {
    assert.match(explainNearMiss('123456789012.dkr.ecr.us-east-1.amazonaws.com:0') ?? '', /: the port must be from 1 to 65535$/);
    assert.match(explainNearMiss('123456789012.dkr.ecr.us-east-1.amazonaws.com:port') ?? '', /: the port must be a number$/);
    assert.match(explainNearMiss('ftp://123456789012.dkr.ecr.us-east-1.amazonaws.com') ?? '', /: only https:\/\/ or http:\/\/ may come before the host, not ftp:\/\/$/);
    assert.match(explainNearMiss('１２３４５６７８９０１２.dkr.ecr.us-east-1.amazonaws.com') ?? '', /: it holds characters outside printable ASCII/);
  });

  it('never repeats the userinfo of the server URL', () => {
    for (const input of ['https://alice:S3cret@12345678901.dkr.ecr.us-east-1.amazonaws.com', 'https://alice:S3 cret@12345678901.dkr.ecr.us-east-1.amazonaws.com:0']) {
      const explained = explainNearMiss(input);
      assert.ok(explained !== undefined, input);
      assert.equal(/alice|S3/.test(explained), false, explained);
    }
  });

  it('stays silent for hosts that are clearly not ECR', () => {
    for (const input of ['docker.io', 'https://index.docker.io/v1/', 'registry-1.docker.io', 'ghcr.io', 'quay.io', 'gcr.io', 'mcr.microsoft.com', 'localhost:5000', '127.0.0.1', '[::1]:5000', 'amazonaws.com', 's3.amazonaws.com', 'ecr.example.com', 'my-registry.example.com:8443/v2/']) {
      assert.equal(explainNearMiss(input), undefined, input);
    }
  });

  it('answers every rejected input of the grammar table in one line at most, never throwing', () => {
    for (const input of NOT_ECR_INPUTS) {
      assert.equal(parseRegistry(input), undefined);
      const explained = explainNearMiss(input);
      if (explained !== undefined) assert.doesNotMatch(explained, /[\r\n]/, JSON.stringify(input));
    }
  });
});
