/**
 * The command line: which command, its stdin, and what reaches stdout, stderr and the exit
 * status. Commands come from the table in commands.ts; each loads its code only when it runs.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { homeDirectory, NO_HOME_DIR, readSettings, type Environment } from '../config/settings';
import { openLogger, silentLogger, type Logger } from '../logging/logger';
import { HELPER_NAME, USAGE_LINE } from '../protocol/messages';
import { decodeText, INPUT_TIME_LIMIT_MS, InputError, MAX_INPUT_BYTES } from '../protocol/input';
import { failure, oneLine, success, type Outcome } from '../protocol/outcome';
import type { HelperContext } from '../service/context';
import { COMMANDS, commandInvokedAs, findCommand, type CommandEntry, type CommandIo, type Invocation } from './commands';
import type { HeldFlight } from '../cache/single-flight';
import type { Handover } from './cache-hit';
import { emit, readStdin } from './stdio';

export interface ProcessIo {
  /** Reads all of stdin, at most `limitBytes`; throws InputError. */
  readonly readStdin: (limitBytes: number) => Promise<Buffer>;
  readonly env: Environment;
  /** Undefined for a user with no HOME and no passwd entry (systemd units, containers). */
  readonly homeDir: string | undefined;
  /** The base name the executable was called by (a link may stand for a command). */
  readonly invokedAs?: string;
  /** When the fast path began waiting on another process's flight, before it handed over. */
  readonly flightWaitingSince?: number;
  /** The flight lock the fast path took on a miss, for the token service to lead with. */
  readonly heldFlight?: HeldFlight;
}

/** Runs one invocation and says what to print; never throws. */
export async function run(argv: readonly string[], io: ProcessIo): Promise<Outcome> {
  const linked = commandInvokedAs(io.invokedAs);
  if (linked !== undefined) return runCommand(linked, { args: [], options: {} }, io);
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
    // `-v` belongs to the program only before a command: `store --version` is a usage error, not
    // a store that waits on a terminal's stdin.
    .enablePositionalOptions()
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
    readInput: async (limitBytes = MAX_INPUT_BYTES) => decodeText(await io.readStdin(limitBytes)),
    context: () => (context ??= createContext(entry.name, io)),
  };
  const outcome = await runEntry(entry, invocation, commandIo);
  const notices = context?.settings.notices ?? [];
  if (notices.length === 0) return outcome;
  return { ...outcome, stderr: notices.map((notice) => `${HELPER_NAME}: ${oneLine(notice)}\n`).join('') + (outcome.stderr ?? '') };
}

async function runEntry(entry: CommandEntry, invocation: Invocation, commandIo: CommandIo): Promise<Outcome> {
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
  const logger =
    settings.logDir === undefined
      ? silentLogger
      : openLogger({ parentDir: settings.cacheDir, logDir: settings.logDir, level: settings.logLevel, verb: commandName });
  routeWarningsTo(logger);
  return {
    env: io.env,
    homeDir: io.homeDir ?? NO_HOME_DIR,
    settings,
    logger,
    fetchToken: () => (require('../aws/fetch-token') as typeof import('../aws/fetch-token')).fetchRegistryToken,
    clock: { now: Date.now, sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)) },
    ...(io.flightWaitingSince === undefined ? {} : { flightWaitingSince: io.flightWaitingSince }),
    ...(io.heldFlight === undefined ? {} : { heldFlight: io.heldFlight }),
  };
}

/**
 * Node prints process warnings (the AWS SDK's Node-version notice among them) to stderr,
 * which Docker shows on the user's terminal. They belong in the log, and so does whatever a
 * library writes with console (the SDK's HTTP handler warns there when a request outlives its
 * timeout): stdout is the protocol's, stderr the user's. Only the text is kept, never an object.
 */
function routeWarningsTo(logger: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => logger.warn({ warning: warning.name, message: warning.message }, 'process warning'));
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    console[method] = (...args: unknown[]) => logger.warn({ from: 'console' }, oneLine(args.filter((arg) => typeof arg === 'string').join(' ')));
  }
}

/**
 * Runs, prints, and exits with the command's status (launch.ts calls it when the fast path
 * declines). `invokedAs` is the base name the executable was called by; `handover`, what the fast
 * path read and took: the stdin, when it began waiting on another process's flight (the wait goes
 * on from there, within the same bound), and the flight lock it took.
 */
export async function main(argv: readonly string[], invokedAs?: string, handover: Handover = {}): Promise<void> {
  process.removeAllListeners('warning');
  const internalError = (error: unknown): Outcome => failure(`internal error: ${error instanceof Error ? error.message : String(error)}`);
  // A fault escaping every handler still ends as one line for the client, never a stack trace.
  const die = (error: unknown): never => process.exit(emit(internalError(error)));
  process.on('uncaughtException', die);
  process.on('unhandledRejection', die);
  const homeDir = homeDirectory(process.env, passwdHome);
  // The AWS SDK finds ~/.aws through HOME, else the passwd entry, and throws when there is
  // neither: give it a home that holds nothing, as the user's would.
  if (homeDir === undefined) process.env.HOME = NO_HOME_DIR;
  const { waitingSince: flightWaitingSince, heldFlight } = handover;
  let taken = handover.stdin;
  const io: ProcessIo = {
    readStdin: async (limitBytes) => {
      // What the fast path read (with this same bound: only `get`'s) is the input; read once.
      const read = taken;
      taken = undefined;
      if (read === undefined) return readStdin({ fd: 0, limitBytes, timeLimitMs: INPUT_TIME_LIMIT_MS, openStream: () => process.stdin });
      if ('inputError' in read) throw new InputError(read.inputError);
      if ('error' in read) throw read.error;
      return read.bytes;
    },
    env: process.env,
    homeDir,
    ...(invokedAs === undefined ? {} : { invokedAs }),
    ...(flightWaitingSince === undefined ? {} : { flightWaitingSince }),
    ...(heldFlight === undefined ? {} : { heldFlight }),
  };
  const outcome = await run(argv, io).catch(internalError);
  // Exit as soon as stdout is written: a socket the SDK left open must not keep the process alive.
  process.exit(emit(outcome));
}

function passwdHome(): string | undefined {
  try {
    return userInfo().homedir || undefined;
  } catch {
    return undefined;
  }
}
