/**
 * Which ECR registry a server URL means, and whose credentials its token is minted with: the
 * host itself or, for an alias in the settings file, the ECR registry it stands for; the plan
 * its settings give (a profile, a role), else the default chain. Every command that wants a
 * token (`get`, `get-login-password`, `doctor`) and `list` decide it here, so that they agree.
 */
import { readRegistrySettings, SettingsFileError, type RegistrySetting, type RegistrySettings } from '../config/registry-settings';
import { DEFAULT_CHAIN, type CredentialPlan, type DefaultChainPlan } from '../identity/plan';
import { HELPER_NAME } from '../protocol/messages';
import { hostOf, parseRegistry, type EcrRegistry } from '../registry/parse';

/** The RoleSessionName of roles assumed for a registry: CloudTrail shows who assumed them. */
export const ROLE_SESSION_NAME = HELPER_NAME;

export interface RegistryTarget {
  readonly registry: EcrRegistry;
  readonly plan: CredentialPlan;
  /** The host as asked, when it is an alias of `registry`. */
  readonly alias?: string;
  /** What the settings file says for the host asked, when it says anything. */
  readonly setting?: RegistrySetting;
}

export type Resolution =
  | { readonly kind: 'ecr'; readonly target: RegistryTarget }
  | { readonly kind: 'not-ecr'; readonly settingsProblem?: string }
  /** An ECR host, but the settings file cannot be used: no token may be minted as someone else. */
  | { readonly kind: 'bad-settings'; readonly registry: EcrRegistry; readonly problem: string };

/** Reads the settings file and resolves the server URL against it. */
export function resolveRegistry(serverUrl: string, settingsFile: string): Resolution {
  const settings = readRegistrySettings(settingsFile);
  if (settings instanceof SettingsFileError) {
    const registry = parseRegistry(serverUrl);
    return registry === undefined ? { kind: 'not-ecr', settingsProblem: settings.message } : { kind: 'bad-settings', registry, problem: settings.message };
  }
  const target = targetFor(serverUrl, settings);
  return target === undefined ? { kind: 'not-ecr' } : { kind: 'ecr', target };
}

/** Pure: the registry and plan for a server URL under valid settings; undefined when it is not ECR. */
export function targetFor(serverUrl: string, settings: RegistrySettings): RegistryTarget | undefined {
  const direct = parseRegistry(serverUrl);
  if (direct !== undefined) {
    const setting = settings.registries.get(direct.host);
    return { registry: direct, plan: planFor(setting), ...(setting === undefined ? {} : { setting }) };
  }
  const alias = hostOf(serverUrl);
  const setting = alias === undefined ? undefined : settings.registries.get(alias);
  const registry = setting?.registry === undefined ? undefined : parseRegistry(setting.registry);
  if (alias === undefined || setting === undefined || registry === undefined) return undefined;
  // An alias with no identity of its own acts as the registry it stands for.
  const identity = setting.profile !== undefined || setting.roleArn !== undefined ? setting : settings.registries.get(registry.host);
  return { registry, plan: planFor(identity), alias, setting };
}

/** `profile` → the default chain with that profile; `roleArn` → that role, assumed from it. */
export function planFor(setting: RegistrySetting | undefined): CredentialPlan {
  const source: DefaultChainPlan = setting?.profile === undefined ? DEFAULT_CHAIN : { kind: 'default-chain', profile: setting.profile };
  if (setting?.roleArn === undefined) return source;
  return { kind: 'assume-role', roleArn: setting.roleArn, sessionName: ROLE_SESSION_NAME, source };
}

/** The one line that says why a registry's token could not be had. */
export function noTokenLine(registry: EcrRegistry, cause: string, alias?: string): string {
  const what = registry.kind === 'public' ? 'an ECR Public token' : `an ECR token for ${registry.host}`;
  return `cannot get ${what}${alias === undefined ? '' : ` (for ${alias})`}: ${cause}`;
}
