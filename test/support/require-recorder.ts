/**
 * Loaded into a helper run with `NODE_OPTIONS=--require <this file>`: appends to
 * $ECR_LOGIN_TEST_REQUIRE_RECORD, one path a line, each module as soon as it is loaded, so that a
 * test can read what a process has loaded while it still runs (module-probe.ts tells it at exit).
 */
import { appendFileSync } from 'node:fs';
import Module from 'node:module';

const record = process.env.ECR_LOGIN_TEST_REQUIRE_RECORD;
if (record) {
  const seen = new Set<string>();
  const cache = (Module as unknown as { _cache: Record<string, unknown> })._cache;
  const append = (): void => {
    const loaded = Object.keys(cache).filter((path) => !seen.has(path));
    for (const path of loaded) seen.add(path);
    if (loaded.length > 0) appendFileSync(record, loaded.map((path) => `${path}\n`).join(''));
  };
  const original = Module.prototype.require;
  Module.prototype.require = function require(this: Module, id: string) {
    try {
      return original.call(this, id) as unknown;
    } finally {
      append();
    }
  } as typeof original;
}
