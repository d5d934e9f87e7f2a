/**
 * The operator commands, in one module: scripts/bundle.js builds it into a file of its own,
 * loaded only when one of them runs, so that a `get` never parses their code.
 */
export { clearCache } from './cache-clear';
export { configure } from './configure';
export { doctor } from './doctor';
export { getLoginPassword } from './get-login-password';
