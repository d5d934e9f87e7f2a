/**
 * What the operator commands (configure, doctor, get-login-password, cache) print. Unlike the
 * protocol verbs, whose clients read errors from stdout, these are run by people and scripts:
 * stdout carries only the result (a password, a file), errors go to stderr as one line.
 */
import { HELPER_NAME } from '../protocol/messages';
import { oneLine, type Outcome } from '../protocol/outcome';

export function commandFailure(message: string, stdout = ''): Outcome {
  return { exitCode: 1, stdout, stderr: `${HELPER_NAME}: ${oneLine(message)}\n` };
}

/** Lines for a person: one result per line. */
export function report(lines: readonly string[], exitCode: 0 | 1 = 0, notes: readonly string[] = []): Outcome {
  return {
    exitCode,
    stdout: lines.map((line) => `${line}\n`).join(''),
    ...(notes.length === 0 ? {} : { stderr: notes.map((note) => `${note}\n`).join('') }),
  };
}

/** Why a host that is not ECR, and that the settings file does not make an alias of one, is refused. */
export function notARegistry(host: string, settingsFile: string, settingsProblem?: string): string {
  return settingsProblem === undefined
    ? `${host} is not an ECR registry, nor an alias in ${settingsFile}`
    : `${host} is not an ECR registry, and the settings file cannot say whether it is an alias: ${settingsProblem}`;
}
