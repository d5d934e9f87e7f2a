/**
 * The one SHA-256 of the helper's own names: cache entry ids, identity fingerprints, plan
 * hashes, role session names. Hex of the UTF-8 text.
 *
 * Why not `node:crypto`: loading it costs a cache hit about 50 M instructions (7–9 ms here), as
 * much again as the rest of the hit; @noble/hashes' audited SHA-256 costs under 5 M. The bundles
 * leave out noble's optional link to node:crypto (scripts/bundle.js), which only its random
 * bytes would use.
 */
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';

export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}
