/**
 * Loaded into a helper run with `NODE_OPTIONS=--require <this file>`: the process's clock reads
 * $ECR_LOGIN_TEST_CLOCK_OFFSET_MS milliseconds away from the machine's (negative: behind), for
 * Date.now() and `new Date()` alike, as on a machine whose clock is wrong. The emulators keep
 * the true time, as AWS does.
 */
const offset = Number(process.env.ECR_LOGIN_TEST_CLOCK_OFFSET_MS ?? 0);

if (Number.isFinite(offset) && offset !== 0) {
  const TrueDate = Date;
  class ShiftedDate extends TrueDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(TrueDate.now() + offset);
      else super(...(args as [string | number | Date]));
    }

    static override now(): number {
      return TrueDate.now() + offset;
    }
  }
  globalThis.Date = ShiftedDate as DateConstructor;
}
