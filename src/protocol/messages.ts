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
/** The name of cloud-provider-aws' kubelet plugin: the executable called by it answers the kubelet. */
export const KUBELET_PLUGIN_NAME = 'ecr-credential-provider';

/** The name an executable was called by, as a link stands for a command: `.exe` left out. */
export function linkName(executableName: string | undefined): string | undefined {
  return executableName?.replace(/\.exe$/i, '') || undefined;
}

/** Every ECR token's username; GetAuthorizationToken always answers with it. */
export const ECR_USERNAME = 'AWS';
