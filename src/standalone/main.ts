/**
 * The main script of the standalone executable (scripts/build-standalone.ts): what bin/ does for
 * the npm package, without the Node version check, since the executable carries its own Node.
 */
import { main } from '../cli/main';

void main(process.argv.slice(2));
