/**
 * The exact words of the Docker credential-helper protocol (docs/SPEC.md section 1).
 * Clients match some of them literally: `credentials not found in native keychain` is the
 * one answer that lets Docker go on anonymously.
 */
export const HELPER_NAME = 'docker-credential-ecr-login';
export const USAGE_LINE = `Usage: ${HELPER_NAME} <store|get|erase|list|version>`;
export const NOT_FOUND = 'credentials not found in native keychain';
export const MISSING_SERVER_URL = 'no credentials server URL';
export const MISSING_USERNAME = 'no credentials username';
export const NOT_IMPLEMENTED = 'not implemented';
/** Every ECR token's username; GetAuthorizationToken always answers with it. */
export const ECR_USERNAME = 'AWS';
