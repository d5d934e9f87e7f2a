import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { afterTimeLimit } from '../../src/aws/time-limit';
import { blockEventLoop } from '../support/event-loop';
import { loopbackPair } from '../support/loopback-pair';

describe('afterTimeLimit', () => {
  it('gives its verdict when nothing came', async () => {
    let judged = false;
    afterTimeLimit(10, () => (judged = true));
    await sleep(50);
    await nextTurn();
    assert.equal(judged, true);
  });

  it('gives none once cancelled', async () => {
    let judged = false;
    const cancel = afterTimeLimit(10, () => (judged = true));
    cancel();
    await sleep(50);
    assert.equal(judged, false);
  });

  it('lets an answer that came in time cancel it, in a process starved past the limit', async () => {
    const { client, serverSide, close } = await loopbackPair();
    try {
      let judged = false;
      const cancel = afterTimeLimit(20, () => (judged = true));
      client.once('data', () => cancel());
      serverSide.write('the answer');
      // Blocked past the limit, as a starved process is: the timer is due before the read.
      blockEventLoop(300);
      await sleep(50);
      assert.equal(judged, false, 'the answer was at hand');
    } finally {
      close();
    }
  });
});
