/**
 * The AWS shared config and credentials files, read the way the AWS SDK for JavaScript reads
 * them (so that our idea of "which profile, with which settings" is the SDK's): `#`/`;` comments
 * at a line start or after white space, `[section]` headers, `key = value`, and nested blocks
 * that start at a key with an empty value and go on over indented lines. Pure.
 */
export type IniSections = Record<string, Record<string, string>>;

/** Section kinds the SDK recognises in `[kind name]` headers; others are ignored. */
export const KNOWN_SECTION_KINDS: ReadonlySet<string> = new Set(['profile', 'sso-session', 'services']);
const PREFIXED_SECTION = /^([\w-]+)\s(["'])?([\w\-@+.%:/]+)\2$/;
/** Where a comment starts: `#` or `;` at the line's start or after white space. */
const COMMENT = /(?:^|\s)[;#]/;
/** Headers the SDK's parser throws on; it then reads the whole file as empty. */
const REJECTED_HEADERS = new Set(['__proto__', 'profile __proto__']);

/** The SDK refuses the whole file: it reads as empty, as if it were absent. */
export class IniRejectedError extends Error {
  override readonly name = 'IniRejectedError';
}

/**
 * Sections keyed `name` for plain headers and `kind.name` for prefixed ones, as the SDK keys them.
 * Throws IniRejectedError where the SDK's parser throws.
 */
export function parseIni(text: string): IniSections {
  const sections = Object.create(null) as IniSections;
  let section: string | undefined;
  let nestedUnder: string | undefined;
  // Regular expressions only where they are needed: every cache hit with a profile parses both
  // files, and each expression costs V8 a compile on its first use and more on each line.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  // Split at \n, where the SDK splits at \r?\n: a \r left at a line's end goes with trim(), and
  // nothing else looks at the end of a line.
  for (const rawLine of body.split('\n')) {
    const uncommented = rawLine.includes('#') || rawLine.includes(';') ? (rawLine.split(COMMENT)[0] ?? '') : rawLine;
    const line = uncommented.trim();
    if (line.startsWith('[') && line.endsWith(']')) {
      nestedUnder = undefined;
      const name = line.slice(1, -1);
      if (REJECTED_HEADERS.has(name)) throw new IniRejectedError(`the section name "${name}" is not allowed`);
      const prefixed = PREFIXED_SECTION.exec(name);
      if (prefixed) section = KNOWN_SECTION_KINDS.has(prefixed[1] ?? '') ? `${prefixed[1]}.${prefixed[3]}` : undefined;
      else section = name;
      continue;
    }
    // The SDK skips the settings of an empty `[]` section as well as those of an unknown kind.
    if (!section) continue;
    const equals = line.indexOf('=');
    if (equals <= 0) continue;
    const key = line.slice(0, equals).trim();
    const value = line.slice(equals + 1).trim();
    if (value === '') {
      nestedUnder = key;
      continue;
    }
    if (nestedUnder !== undefined && rawLine.trimStart() === rawLine) nestedUnder = undefined;
    const values = (sections[section] ??= Object.create(null) as Record<string, string>);
    values[nestedUnder === undefined ? key : `${nestedUnder}.${key}`] = value;
  }
  return sections;
}
