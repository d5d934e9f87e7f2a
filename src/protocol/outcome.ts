/**
 * What a verb hands back to the command line: the bytes for stdout, an optional line for the
 * user's terminal (stderr), and the exit status. Verbs never write to the streams themselves,
 * so they can be run and checked without a process around them.
 */
export interface Outcome {
  readonly exitCode: 0 | 1;
  readonly stdout: string;
  readonly stderr?: string;
}

export const success = (stdout = '', notice?: string): Outcome => ({
  exitCode: 0,
  stdout,
  ...(notice === undefined ? {} : { stderr: `${oneLine(notice)}\n` }),
});

/**
 * A failure: clients read the reason from stdout, so it goes there as one line; `detail`, when
 * the terminal deserves more than the client message, goes to stderr.
 */
export const failure = (message: string, detail?: string): Outcome => ({
  exitCode: 1,
  stdout: `${oneLine(message)}\n`,
  ...(detail === undefined ? {} : { stderr: `${oneLine(detail)}\n` }),
});

/** `get`'s answer: the server URL as asked, and the registry's user name and password. */
export const credentialsFound = (serverUrl: string, credentials: { readonly username: string; readonly secret: string }, notice?: string): Outcome =>
  success(`${JSON.stringify({ ServerURL: serverUrl, Username: credentials.username, Secret: credentials.secret })}\n`, notice);

const MAX_LINE = 1000;

/** Folds any text into a single bounded line, so a client never sees a multi-line error. */
export function oneLine(text: string): string {
  const folded = text.replace(/[\r\n\t]+/g, ' ').replace(/[\x00-\x1f\x7f]/g, '').replace(/ {2,}/g, ' ').trim();
  return folded.length > MAX_LINE ? `${folded.slice(0, MAX_LINE - 1)}…` : folded;
}
