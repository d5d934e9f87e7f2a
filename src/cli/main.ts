/**
 * The command line: which command, its stdin, and what reaches stdout, stderr and the exit
 * status. Commands come from the table in commands.ts; each loads its code only when it runs.
 */
import { homedir } from 'node:os';
import type { Command } from 'commander';
import { readSettings, type Environment } from '../config/settings';
import { openLogger, type Logger } from '../logging/logger';
import { HELPER_NAME, USAGE_LINE } from '../protocol/messages';
import { decodeText, InputError, readBoundedInput } from '../protocol/input';
import { failure, oneLine, success, type Outcome } from '../protocol/outcome';
import type { HelperContext } from '../service/context';
import { COMMANDS, findCommand, type CommandEntry, type CommandIo, type Invocation } from './commands';

export interface ProcessIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly env: Environment;
  readonly homeDir: string;
}

/** Runs one invocation and says what to print; never throws. */
export async function run(argv: readonly string[], io: ProcessIo): Promise<Outcome> {
  // Docker, Nomad and the rest call exactly `<verb>`: dispatched without loading commander
  // (about 5 ms), which serves the flags, help and usage errors people type.
  const only = argv.length === 1 ? findCommand(argv[0]) : undefined;
  if (only?.protocol) return runCommand(only, { args: [], options: {} }, io);
  return runCommandLine(argv, io);
}

async function runCommandLine(argv: readonly string[], io: ProcessIo): Promise<Outcome> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { CommanderError } = require('commander') as typeof import('commander');
  let chosen: { entry: CommandEntry; invocation: Invocation } | undefined;
  const printed: string[] = [];
  const program = buildProgram((entry, invocation) => {
    chosen = { entry, invocation };
  }, printed);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError && (error.code === 'commander.helpDisplayed' || error.code === 'commander.version')) {
      return success(printed.join(''));
    }
    const first = argv[0];
    const reason =
      first !== undefined && !first.startsWith('-') && findCommand(first) === undefined
        ? `unknown verb '${first}'`
        : error instanceof CommanderError
          ? error.message.replace(/^error: /, '')
          : String(error);
    // An operator command's user is a person at a shell: the error and where to look, on stderr.
    const entry = findCommand(first);
    if (entry !== undefined && !entry.protocol) return { exitCode: 1, stdout: '', stderr: `${HELPER_NAME}: ${reason} (see "${HELPER_NAME} ${entry.name} --help")\n` };
    return { exitCode: 1, stdout: `${USAGE_LINE}\n`, stderr: `${HELPER_NAME}: ${reason}\n` };
  }
  if (chosen === undefined) return { exitCode: 1, stdout: `${USAGE_LINE}\n` };
  return runCommand(chosen.entry, chosen.invocation, io);
}

function buildProgram(choose: (entry: CommandEntry, invocation: Invocation) => void, printed: string[]): Command {
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
    const version = findCommand('version');
    if (options.version && version !== undefined) choose(version, { args: [], options: {} });
  });
  for (const entry of COMMANDS) {
    const command = program.command(entry.name).description(entry.summary).allowExcessArguments(false).exitOverride();
    entry.declare?.(command);
    if (command.commands.length === 0) {
      command.action((...parsed: unknown[]) => {
        // commander passes the declared arguments, then the options, then the command itself.
        const options = (parsed.at(-2) ?? {}) as Record<string, unknown>;
        choose(entry, { args: parsed.slice(0, -2).flat().filter((arg): arg is string => typeof arg === 'string'), options });
      });
    }
  }
  return program;
}

async function runCommand(entry: CommandEntry, invocation: Invocation, io: ProcessIo): Promise<Outcome> {
  let context: HelperContext | undefined;
  const commandIo: CommandIo = {
    readInput: async (limitBytes) => decodeText(await readBoundedInput(io.stdin, limitBytes)),
    context: () => (context ??= createContext(entry.name, io)),
  };
  try {
    return await entry.run(invocation, commandIo);
  } catch (error) {
    const logger = commandIo.context().logger;
    if (error instanceof InputError) {
      logger.warn({ reason: error.message }, 'rejected input');
      return failure(error.message);
    }
    logger.error({ err: error }, 'unexpected failure');
    return failure(`internal error: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function createContext(commandName: string, io: ProcessIo): HelperContext {
  const settings = readSettings(io.env, io.homeDir);
  const logger = openLogger({ parentDir: settings.cacheDir, logDir: settings.logDir, level: settings.logLevel, verb: commandName });
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

/** Entry point for bin/: runs, prints, and exits with the command's status. */
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
