/**
 * The command table: one entry per command the executable answers, each a thin adapter that
 * loads its module only when it runs, so a `get` never pays for another command's code.
 * A new command is one entry here and one file of its own.
 */
import type { Command } from 'commander';
import { KUBELET_PLUGIN_NAME, linkName } from '../protocol/messages';
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
    invokedAs: KUBELET_PLUGIN_NAME,
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
      const { version } = await import('../verbs/version');
      return version();
    },
  },
  {
    name: 'configure',
    summary: 'point Docker (or a Nomad, podman or Marathon config) at this helper',
    declare: (command) =>
      command
        .argument('[host...]', 'ECR registry hosts, or aliases from the settings file (default: your account\'s registry in your region, asked of STS)')
        .option('--file <path>', 'edit this Docker-format file instead of the Docker config (Nomad\'s auth config, podman\'s auth.json)')
        .option('--store', 'set "credsStore": "ecr-login" (every registry) instead of credHelpers entries')
        .option('--archive <path>', 'write a Marathon/Mesos docker.tar.gz holding only .docker/config.json, and leave the Docker config alone')
        .option('--dry-run', 'print the resulting file on stdout and write nothing')
        .addHelpText(
          'after',
          [
            '',
            'The Docker config is $DOCKER_CONFIG/config.json, else ~/.docker/config.json. Every other key',
            'of the file is kept; running it twice changes nothing.',
            '',
            'Examples:',
            '  docker-credential-ecr-login configure 123456789012.dkr.ecr.eu-west-1.amazonaws.com public.ecr.aws',
            '  AWS_REGION=eu-west-1 docker-credential-ecr-login configure',
            '  docker-credential-ecr-login configure --file /etc/docker-auth.json 123456789012.dkr.ecr.eu-west-1.amazonaws.com',
            '  docker-credential-ecr-login configure --archive /etc/docker.tar.gz 123456789012.dkr.ecr.eu-west-1.amazonaws.com',
          ].join('\n'),
        ),
    run: async ({ args, options }, io) => {
      const { configure } = await import('../commands');
      return configure(args, options, io.context());
    },
  },
  {
    name: 'get-login-password',
    summary: 'print the registry\'s password and a newline, for scripts',
    declare: (command) =>
      command
        .argument('<host>', 'ECR registry host, or an alias from the settings file')
        .addHelpText(
          'after',
          [
            '',
            'The same token get answers, through the same cache. Errors go to stderr, with exit status 1.',
            '',
            'Example:',
            '  kubectl create secret docker-registry ecr --docker-server=123456789012.dkr.ecr.eu-west-1.amazonaws.com \\',
            '    --docker-username=AWS --docker-password="$(docker-credential-ecr-login get-login-password 123456789012.dkr.ecr.eu-west-1.amazonaws.com)"',
          ].join('\n'),
        ),
    run: async ({ args }, io) => {
      const { getLoginPassword } = await import('../commands');
      return getLoginPassword(args[0] ?? '', io.context());
    },
  },
  {
    name: 'doctor',
    summary: 'say what the helper would do, and what is wrong',
    declare: (command) =>
      command
        .argument('[host]', 'a registry to check: its region, endpoint, identity, and a live call to STS and ECR')
        .option('--offline', 'skip the live call')
        .addHelpText('after', '\nExit status 0 when nothing is wrong, 1 when something is; each problem is a line starting "problem:".'),
    run: async ({ args, options }, io) => {
      const { doctor } = await import('../commands');
      return doctor(args[0], { offline: options.offline === true }, io.context());
    },
  },
  {
    name: 'cache',
    summary: 'cache clear [host]: remove cached tokens (all, or one registry\'s)',
    declare: (command) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { Argument } = require('commander') as typeof import('commander');
      command
        .addArgument(new Argument('<action>', 'what to do with the token cache').choices(['clear']))
        .argument('[host]', 'only this registry\'s tokens (every identity\'s); default: all')
        .addHelpText('after', '\nOnly the helper\'s own token files are removed: never the Go helper\'s cache.json, nor anything else.');
    },
    run: async ({ args }, io) => {
      const { clearCache } = await import('../commands');
      return clearCache(args[1], io.context());
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
  const name = linkName(executableName);
  return name === undefined ? undefined : COMMANDS.find((entry) => entry.invokedAs === name);
}
