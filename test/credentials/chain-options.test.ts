/**
 * The options fetch-token.ts gives the SDK's credential chain, and the logger it routes the
 * SDK's messages through. Unit tests: nothing is sent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { credentialChainOptions, sanitizeSdkText, sdkLogger } from '../../src/aws/fetch-token';
import { silentLogger } from '../../src/logging/logger';

describe('the credential chain options', () => {
  it('bounds the metadata endpoints (timeout × (2 + retries) under 2 s) and retries them once', () => {
    const options = credentialChainOptions({}, silentLogger);
    assert.equal(options.maxRetries, 1);
    assert.ok(options.timeout * (2 + options.maxRetries) <= 2000, `${options.timeout} ms × ${2 + options.maxRetries}`);
  });
  it('gives STS and SSO timeouts and two attempts, but no region: SSO must use sso_region', () => {
    const { clientConfig: config } = credentialChainOptions({}, silentLogger);
    assert.equal('region' in config, false);
    assert.equal(config.maxAttempts, 2);
    // A handler, which the SDK uses as it is: ours, with each attempt's limit (test/aws/request-handler.test.ts).
    assert.equal(typeof config.requestHandler.handle, 'function');
  });
});

describe('sdkLogger: the SDK speaks to our log, never to the console, never with objects', () => {
  function recording(): { logger: typeof silentLogger; lines: Array<[string, object, string]> } {
    const lines: Array<[string, object, string]> = [];
    const record = (level: string) => (fields: object, message: string) => void lines.push([level, fields, message]);
    return { logger: { trace: record('trace'), debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') }, lines };
  }

  it('warn at warn, tracing at debug, info and trace dropped, errors at debug', () => {
    const { logger, lines } = recording();
    const sdk = sdkLogger(logger);
    sdk.warn('Multiple credential sources detected');
    sdk.debug('@aws-sdk/credential-provider-node - defaultProvider::fromEnv');
    sdk.info({ input: { secret: 'x' }, output: { Credentials: { SecretAccessKey: 'y' } } });
    sdk.trace('t');
    sdk.error('e', { $response: { body: 'secret' } });
    assert.deepEqual(lines.map(([level, , message]) => [level, message]), [
      ['warn', 'Multiple credential sources detected'],
      ['debug', '@aws-sdk/credential-provider-node - defaultProvider::fromEnv'],
      ['debug', 'e'],
    ]);
  });

  it('keeps only strings, and withholds a credential_process command line and its output', () => {
    const { logger, lines } = recording();
    sdkLogger(logger).debug('@smithy/property-provider -> Command failed: /bin/creds --token s3cr3t\n{"SecretAccessKey":"k"}', { secret: 'obj' });
    assert.equal(lines[0]?.[2], '@smithy/property-provider -> Command failed: [command line and output withheld]');
    assert.equal(JSON.stringify(lines).includes('s3cr3t'), false);
    assert.equal(sanitizeSdkText('x'.repeat(5000)).length, 1000);
  });
});
