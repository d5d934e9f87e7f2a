/**
 * The command line: which verb, its stdin, and what reaches stdout, stderr and the exit status.
 * Verb modules are loaded only for the verb that runs.
 */
import { homedir } from 'node:os';
import type { Command } from 'commander';
import { readSettings, type Environment } from '../config/settings';
import { openLogger, type Logger } from '../logging/logger';
import { HELPER_NAME, USAGE_LINE } from '../protocol/messages';
import { decodeText, InputError, readBoundedInput } from '../protocol/input';
import { failure, oneLine, success, type Outcome } from '../protocol/outcome';
import type { VerbContext } from '../verbs/context';

export interface ProcessIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly env: Environment;
  readonly homeDir: string;
}

const VERBS = ['get', 'store', 'erase', 'list', 'version'] as const;
type Verb = (typeof VERBS)[number];

const DESCRIPTIONS: Record<Verb, string> = {
  get: 'read a registry host on stdin, print its credentials as JSON',
  store: 'accept credentials from `docker login` (nothing is stored: every get mints a fresh token)',
  erase: 'accept `docker logout` (nothing is stored)',
  list: 'print the registries with a cached token, as JSON',
  version: 'print the name and version',
};

/** Runs one invocation and says what to print; never throws. */
export async function run(argv: readonly string[], io: ProcessIo): Promise<Outcome> {
  // Docker, Nomad and the rest call exactly `<verb>`: dispatched without loading commander
  // (about 5 ms), which serves the flags, help and usage errors people type.
  const [only] = argv;
  if (argv.length === 1 && isVerb(only)) return runVerb(only, io);
  return runCommandLine(argv, io);
}

function isVerb(word: string | undefined): word is Verb {
  return (VERBS as readonly (string | undefined)[]).includes(word);
}

async function runCommandLine(argv: readonly string[], io: ProcessIo): Promise<Outcome> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { CommanderError } = require('commander') as typeof import('commander');
  let chosen: Verb | undefined;
  const printed: string[] = [];
  const program = buildProgram((verb) => {
    chosen = verb;
  }, printed);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError && (error.code === 'commander.helpDisplayed' || error.code === 'commander.version')) {
      return success(printed.join(''));
    }
    const first = argv[0];
    const reason =
      first !== undefined && !first.startsWith('-') && !isVerb(first)
        ? `unknown verb '${first}'`
        : error instanceof CommanderError
          ? error.message.replace(/^error: /, '')
          : String(error);
    return { exitCode: 1, stdout: `${USAGE_LINE}\n`, stderr: `${HELPER_NAME}: ${reason}\n` };
  }
  if (chosen === undefined) return { exitCode: 1, stdout: `${USAGE_LINE}\n` };
  return runVerb(chosen, io);
}

function buildProgram(choose: (verb: Verb) => void, printed: string[]): Command {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Command } = require('commander') as typeof import('commander');
  const program = new Command(HELPER_NAME)
    // Set before the subcommands are added: they inherit it. Errors are printed by run().
    .configureOutput({
      writeOut: (text) => printed.push(text),
      writeErr: () => undefined,
      outputError: () => undefined,
    })
    .usage('<store|get|erase|list|version>')
    .description('Docker credential helper for Amazon ECR and ECR Public')
    .helpOption('-h, --help', 'show this help')
    .option('-v, --version', 'print the name and version')
    .allowExcessArguments(false)
    .exitOverride();
  program.action((options: { version?: boolean }) => {
    if (options.version) choose('version');
  });
  for (const verb of VERBS) {
    program
      .command(verb)
      .description(DESCRIPTIONS[verb])
      .helpOption(false)
      .allowExcessArguments(false)
      .exitOverride()
      .action(() => choose(verb));
  }
  return program;
}

async function runVerb(verb: Verb, io: ProcessIo): Promise<Outcome> {
  if (verb === 'version') {
    const { versionLine } = await import('../verbs/version');
    return success(`${versionLine()}\n`);
  }
  const context = createContext(verb, io);
  try {
    switch (verb) {
      case 'list': {
        const { list } = await import('../verbs/list');
        return list(context);
      }
      case 'get': {
        const input = await readInput(io.stdin);
        const { get } = await import('../verbs/get');
        return await get(input, context);
      }
      case 'store': {
        const input = await readInput(io.stdin);
        const { store } = await import('../verbs/store');
        return store(input, context);
      }
      case 'erase': {
        const input = await readInput(io.stdin);
        const { erase } = await import('../verbs/store');
        return erase(input, context);
      }
    }
  } catch (error) {
    if (error instanceof InputError) {
      context.logger.warn({ reason: error.message }, 'rejected input');
      return failure(error.message);
    }
    context.logger.error({ err: error }, 'unexpected failure');
    return failure(`internal error: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function readInput(stdin: NodeJS.ReadableStream): Promise<string> {
  return decodeText(await readBoundedInput(stdin));
}

function createContext(verb: Verb, io: ProcessIo): VerbContext {
  const settings = readSettings(io.env, io.homeDir);
  const logger = openLogger({ parentDir: settings.cacheDir, logDir: settings.logDir, level: settings.logLevel, verb });
  routeWarningsTo(logger);
  return {
    env: io.env,
    homeDir: io.homeDir,
    settings,
    logger,
    fetchToken: () => (require('../aws/fetch-token') as typeof import('../aws/fetch-token')).fetchRegistryToken,
    clock: { now: Date.now, sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)) },
  };
}

/**
 * Node prints process warnings (the AWS SDK's Node-version notice among them) to stderr,
 * which Docker shows on the user's terminal. They belong in the log.
 */
function routeWarningsTo(logger: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => logger.warn({ warning: warning.name, message: warning.message }, 'process warning'));
}

/** Entry point for bin/: runs, prints, and exits with the verb's status. */
export async function main(argv: readonly string[]): Promise<void> {
  process.removeAllListeners('warning');
  // A fault escaping every handler still ends as one line for the client, never a stack trace.
  const die = (error: unknown): void => {
    process.stdout.write(`internal error: ${oneLine(error instanceof Error ? error.message : String(error))}\n`, () => process.exit(1));
  };
  process.on('uncaughtException', die);
  process.on('unhandledRejection', die);
  const outcome = await run(argv, { stdin: process.stdin, env: process.env, homeDir: homedir() }).catch(
    (error: unknown): Outcome => failure(`internal error: ${error instanceof Error ? error.message : String(error)}`),
  );
  if (outcome.stderr) process.stderr.write(outcome.stderr);
  // Exit as soon as stdout is written: a socket the SDK left open must not keep the process alive.
  process.stdout.write(outcome.stdout, () => process.exit(outcome.exitCode));
}
