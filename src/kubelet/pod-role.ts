/**
 * Which IAM role a pod's service account token is exchanged for, as cloud-provider-aws'
 * ecr-credential-provider decides it: the service account's `eks.amazonaws.com/ecr-role-arn`
 * annotation, else the plugin's AWS_ECR_ROLE_ARN. Pure.
 */
import { KubeletRequestError, quote } from './request';

export const ROLE_ANNOTATION = 'eks.amazonaws.com/ecr-role-arn';

/** `arn:<partition>:iam::<account>:role/<optional path/><name>`. */
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\x21-\x7e]+$/;

/**
 * The role for a request carrying a service account token; undefined when neither the
 * annotation nor the fallback names one. Throws KubeletRequestError when the one named is not
 * an IAM role ARN, rather than letting STS answer with a validation error.
 */
export function podRoleArn(annotations: Readonly<Record<string, string>>, fallbackRoleArn: string | undefined): string | undefined {
  const annotated = annotations[ROLE_ANNOTATION]?.trim();
  const [roleArn, source] = annotated ? [annotated, `the service account annotation ${ROLE_ANNOTATION}`] : [fallbackRoleArn, 'AWS_ECR_ROLE_ARN'];
  if (roleArn === undefined) return undefined;
  if (!ROLE_ARN.test(roleArn)) {
    throw new KubeletRequestError(`${source} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>): ${quote(roleArn)}`);
  }
  return roleArn;
}
