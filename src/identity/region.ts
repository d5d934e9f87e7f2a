/**
 * The AWS region the user configured, as the SDK reads it: `AWS_REGION`, else the `region` of
 * the active profile in the shared config file (the credentials file may set it too). The
 * helper itself never needs one (a registry's region is in its hostname); `configure` does,
 * to name the user's own registry. Pure: the environment and the files' text are passed in.
 */
import type { Environment } from '../config/settings';
import { activeProfile, type SharedConfigTexts } from './credential-chain';
import { parseIni } from './ini';

export interface ConfiguredRegion {
  readonly region: string;
  /** Where it was found, for a person: `AWS_REGION`, `profile "dev"`. */
  readonly from: string;
}

export function configuredRegion(env: Environment, files: SharedConfigTexts): ConfiguredRegion | undefined {
  const fromEnv = env.AWS_REGION?.trim();
  if (fromEnv) return { region: fromEnv, from: 'AWS_REGION' };
  const profile = activeProfile(env);
  const config = parseIni(files.config ?? '');
  const region =
    config[`profile.${profile}`]?.region ?? (profile === 'default' ? config.default?.region : undefined) ?? parseIni(files.credentials ?? '')[profile]?.region;
  return region ? { region, from: `profile "${profile}"` } : undefined;
}
