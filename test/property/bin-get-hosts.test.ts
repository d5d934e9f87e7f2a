/**
 * `get` through the real bin/ with generated server URLs: a few registries written every way a
 * client might, their near misses, other hosts and junk (the checks: bin-get.ts).
 */
import fc from 'fast-check';
import { getWellBehaved, registry, utf8 } from './bin-get';
import { decorated, nearMissesOf, serverUrl } from './generators';

getWellBehaved(
  'generated server URLs',
  fc.oneof({ weight: 5, arbitrary: decorated(registry) }, { weight: 4, arbitrary: decorated(nearMissesOf(registry)) }, { weight: 2, arbitrary: serverUrl }).map(utf8),
  40,
);
