/**
 * `AWS_CA_BUNDLE`: a PEM file of the certificate authorities that AWS API endpoints are trusted
 * by, in place of Node's own list, as the AWS CLI and the Go SDK read it (a corporate proxy that
 * intercepts TLS signs with its own CA). It applies to every AWS API call (ECR, ECR Public, STS,
 * SSO, SSO-OIDC) and to TLS with an https:// proxy; never to the metadata endpoints, which speak
 * plain HTTP.
 *
 * Why not only NODE_EXTRA_CA_CERTS, which Node reads itself: Node reads that file, and its whole
 * list of root certificates, at every start (about 45 ms here), a cache hit included. This file
 * is read only when a token is fetched.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import type { Environment } from '../config/settings';
import { errorCode } from '../fs/private-dir';
import { ExplainedError } from './errors';

/** Far more than any bundle of CA certificates (Mozilla's whole list is about 220 KB). */
const MAX_CA_BUNDLE_BYTES = 4 * 1024 * 1024;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/**
 * The certificates of AWS_CA_BUNDLE as `tls` takes them (`ca`), or undefined when it is unset or
 * empty; throws an ExplainedError naming the variable and the file when it cannot be used.
 */
export function readCaBundle(env: Environment): string | undefined {
  const path = env.AWS_CA_BUNDLE?.trim();
  if (!path) return undefined;
  const refuse = (problem: string): ExplainedError => new ExplainedError(`AWS_CA_BUNDLE ${path}: ${problem}`);
  let fd: number;
  try {
    // Non-blocking: a FIFO at that path must not hold the helper.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw refuse(`cannot read it: ${errorCode(error)}`);
  }
  let text: string;
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw refuse('not a regular file');
    if (stats.size > MAX_CA_BUNDLE_BYTES) throw refuse(`larger than ${MAX_CA_BUNDLE_BYTES / 1024 / 1024} MiB`);
    text = readFileSync(fd, 'utf8');
  } catch (error) {
    throw error instanceof ExplainedError ? error : refuse(`cannot read it: ${errorCode(error)}`);
  } finally {
    closeSync(fd);
  }
  if (!PEM_CERTIFICATE.test(text)) throw refuse('holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  return text;
}
