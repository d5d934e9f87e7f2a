/**
 * The main script of the standalone executable (scripts/build-standalone.ts): what bin/ does for
 * the npm package, without the Node version check, since the executable carries its own Node.
 * Only the fast path is here; the full command line is an asset, compiled when it declines.
 */
import { launch } from '../cli/launch';
import { embeddedHelper } from './embedded-dependencies';

void launch(process.argv.slice(2), undefined, embeddedHelper);
