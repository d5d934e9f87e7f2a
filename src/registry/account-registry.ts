/**
 * The private registry host of an account in a region, as AWS names it: the partition of the
 * region decides the domain (docs/SPEC.md section 2). Pure.
 */

/** Region prefixes of the partitions outside `aws`, with their registry domain. */
const PARTITION_DOMAINS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^cn-/, 'amazonaws.com.cn'],
  [/^eusc-/, 'amazonaws.eu'],
  [/^us-iso-/, 'c2s.ic.gov'],
  [/^us-isob-/, 'sc2s.sgov.gov'],
  [/^us-isof-/, 'csp.hci.ic.gov'],
  [/^eu-isoe-/, 'cloud.adc-e.uk'],
];

export function accountRegistryHost(accountId: string, region: string): string {
  const domain = PARTITION_DOMAINS.find(([prefix]) => prefix.test(region))?.[1] ?? 'amazonaws.com';
  return `${accountId}.dkr.ecr.${region}.${domain}`;
}
