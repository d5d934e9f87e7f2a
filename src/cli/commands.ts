/**
 * The command table: one entry per command the executable answers, each a thin adapter that
 * loads its module only when it runs, so a `get` never pays for another command's code.
 * A new command is one entry here and one file of its own.
 */
import type { Command } from 'commander';
import type { Outcome } from '../protocol/outcome';
import type { HelperContext } from '../service/context';

/** What commander parsed: positional arguments in order, and the options by name. */
export interface Invocation {
  readonly args: readonly string[];
  readonly options: Readonly<Record<string, unknown>>;
}

/** What a command may ask of the process around it. */
export interface CommandIo {
  /** Reads stdin, bounded (docs/SPEC.md section 1), as text; throws InputError. */
  readonly readInput: (limitBytes?: number) => Promise<string>;
  /** The settings, the log and the clock, opened for this command (the log is named after it). */
  readonly context: () => HelperContext;
}

export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  /** A credential-helper protocol verb: run as `<verb>` alone, with no argument or option. */
  readonly protocol?: boolean;
  /** Called through a link of this name, the executable runs this command whatever its arguments. */
  readonly invokedAs?: string;
  /** Declares arguments, options, subcommands and help text on the command commander made. */
  readonly declare?: (command: Command) => void;
  readonly run: (invocation: Invocation, io: CommandIo) => Promise<Outcome>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'get',
    summary: 'read a registry host on stdin, print its credentials as JSON',
    protocol: true,
    run: async (_, io) => {
      const input = await io.readInput();
      const { get } = await import('../verbs/get');
      return get(input, io.context());
    },
  },
  {
    name: 'store',
    summary: 'accept credentials from `docker login` (nothing is stored: every get mints a fresh token)',
    protocol: true,
    run: async (_, io) => {
      const input = await io.readInput();
      const { store } = await import('../verbs/store');
      return store(input, io.context());
    },
  },
  {
    name: 'erase',
    summary: 'accept `docker logout` (nothing is stored)',
    protocol: true,
    run: async (_, io) => {
      const input = await io.readInput();
      const { erase } = await import('../verbs/store');
      return erase(input, io.context());
    },
  },
  {
    name: 'list',
    summary: 'print the registries with a cached token, as JSON',
    protocol: true,
    run: async (_, io) => {
      const { list } = await import('../verbs/list');
      return list(io.context());
    },
  },
  {
    name: 'get-credentials',
    summary: 'the kubelet image credential provider: a CredentialProviderRequest on stdin, the response on stdout',
    protocol: true,
    // A drop-in for cloud-provider-aws' plugin: kubelet configs call it with or without `get-credentials`.
    invokedAs: 'ecr-credential-provider',
    run: async (_, io) => {
      const { getCredentials, KUBELET_INPUT_LIMIT_BYTES } = await import('../verbs/get-credentials');
      return getCredentials(() => io.readInput(KUBELET_INPUT_LIMIT_BYTES), io.context());
    },
  },
  {
    name: 'version',
    summary: 'print the name and version',
    protocol: true,
    run: async () => {
      const { versionLine } = await import('../verbs/version');
      return { exitCode: 0, stdout: `${versionLine()}\n` };
    },
  },
];

export function findCommand(name: string | undefined): CommandEntry | undefined {
  return COMMANDS.find((entry) => entry.name === name);
}

/**
 * The command the executable's own name stands for (the base name it was called by: a link
 * named `ecr-credential-provider`, with or without `.exe`), if any.
 */
export function commandInvokedAs(executableName: string | undefined): CommandEntry | undefined {
  const name = executableName?.replace(/\.exe$/i, '');
  return name ? COMMANDS.find((entry) => entry.invokedAs === name) : undefined;
}
