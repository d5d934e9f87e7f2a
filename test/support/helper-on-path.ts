/**
 * Puts `docker-credential-ecr-login` on a PATH the way users install it, for tests that run a
 * real client (Docker CLI, skopeo, Nomad's calling convention) which finds the helper by name.
 *
 * - `plain`: a temp bin directory holding a symlink to the repository's bin/.
 * - `spy`: the same symlink one level down, behind a small bash wrapper that records each call
 *   (argv, the exact stdin bytes, the exact stdout bytes, the exit status) and passes stdin,
 *   stdout, stderr and the exit status through unchanged. Clients see the real helper; the test
 *   sees what the client asked and what the helper answered.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { HELPER_BIN } from './helper-process';

export const HELPER_COMMAND = 'docker-credential-ecr-login';

/** One call of the helper, as recorded by the spy. */
export interface HelperCall {
  readonly verb: string;
  readonly args: readonly string[];
  /** Exactly what the client wrote on stdin (no trimming). */
  readonly stdin: string;
  /** Exactly what the helper printed on stdout. */
  readonly stdout: string;
  readonly status: number;
}

export interface HelperOnPath {
  /** The directory to put first on PATH. */
  readonly binDir: string;
  /** `binDir` first, then the given PATH. */
  pathWith(rest?: string): string;
  /** Calls recorded so far, in order (always [] for a plain symlink). */
  calls(): HelperCall[];
}

/** Creates `<root>/bin/docker-credential-ecr-login` (and, for the spy, `<root>/spy-calls/`). */
export function installHelperOnPath(root: string, mode: 'plain' | 'spy' = 'spy'): HelperOnPath {
  const binDir = join(root, 'bin');
  mkdirSync(binDir, { recursive: true });
  const callsDir = join(root, 'spy-calls');
  if (mode === 'plain') {
    symlinkSync(HELPER_BIN, join(binDir, HELPER_COMMAND));
  } else {
    const realDir = join(root, 'real');
    mkdirSync(realDir, { recursive: true });
    mkdirSync(callsDir, { recursive: true });
    const real = join(realDir, HELPER_COMMAND);
    symlinkSync(HELPER_BIN, real);
    const wrapper = join(binDir, HELPER_COMMAND);
    writeFileSync(wrapper, spyScript(real, callsDir));
    chmodSync(wrapper, 0o755);
  }
  return {
    binDir,
    pathWith: (rest = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin') => `${binDir}${delimiter}${rest}`,
    calls: () => (mode === 'spy' ? readCalls(callsDir) : []),
  };
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function spyScript(real: string, callsDir: string): string {
  return [
    '#!/bin/bash',
    '# Test spy: records one call of the credential helper, then behaves exactly like it.',
    `call=${shellQuote(callsDir)}/"$(date +%s%N)-$$"`,
    'mkdir -p "$call"',
    'printf "%s\\0" "$@" > "$call/args"',
    // stdin → file and helper; helper stdout → file and client; stderr untouched. `tee -p`
    // keeps copying stdin to the file when the helper does not read it (`list`).
    `tee -p "$call/stdin" | ${shellQuote(real)} "$@" | tee "$call/stdout"`,
    'status=${PIPESTATUS[1]}',
    'printf "%s" "$status" > "$call/status"',
    'exit "$status"',
    '',
  ].join('\n');
}

function readCalls(callsDir: string): HelperCall[] {
  if (!existsSync(callsDir)) return [];
  // Names are `<nanoseconds>-<pid>`: same width for decades, so a string sort is time order.
  return readdirSync(callsDir)
    .sort()
    .map((name) => {
      const dir = join(callsDir, name);
      const read = (file: string): string => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8') : '');
      const args = read('args').split('\0').slice(0, -1);
      const status = read('status');
      return {
        verb: args[0] ?? '',
        args,
        stdin: read('stdin'),
        stdout: read('stdout'),
        status: status === '' ? -1 : Number(status),
      };
    });
}
