import type { FailedEntry } from '../../../lib/aws/partial-retry';
import { sendWithPartialRetry } from '../../../lib/aws/partial-retry';

/** A send that fails the entries listed for each attempt, recording what it was given. */
function scriptedSend(failuresPerAttempt: string[][]): { send: (batch: readonly string[]) => Promise<FailedEntry<string>[]>; batches: string[][] } {
  const batches: string[][] = [];
  const send = (batch: readonly string[]): Promise<FailedEntry<string>[]> => {
    const failing = failuresPerAttempt[batches.length] ?? [];
    batches.push([...batch]);
    return Promise.resolve(batch.filter((e) => failing.includes(e)).map((entry) => ({ entry, errorCode: 'Throttled', errorMessage: `slow down ${entry}` })));
  };
  return { send, batches };
}

describe('sendWithPartialRetry', () => {
  test('stops after the first attempt when nothing fails', async () => {
    const { send, batches } = scriptedSend([]);
    const sleep = jest.fn(() => Promise.resolve());
    expect(await sendWithPartialRetry(['a', 'b'], send, { maxAttempts: 5, sleep })).toEqual({ attempts: 1, failed: [] });
    expect(batches).toEqual([['a', 'b']]);
    expect(sleep).not.toHaveBeenCalled();
  });

  test('resends only the failed entries, with a backoff wait before each retry', async () => {
    const { send, batches } = scriptedSend([['b', 'c'], ['c']]);
    const waits: number[] = [];
    const report = await sendWithPartialRetry(['a', 'b', 'c'], send, { maxAttempts: 5, backoff: { baseMs: 10, capMs: 15 }, sleep: (ms) => { waits.push(ms); return Promise.resolve(); } });
    expect(report).toEqual({ attempts: 3, failed: [] });
    expect(batches).toEqual([['a', 'b', 'c'], ['b', 'c'], ['c']]);
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeLessThan(10);
    expect(waits[1]).toBeLessThan(15);
  });

  test('gives up after maxAttempts and reports the entries still failing', async () => {
    const { send, batches } = scriptedSend([['a', 'b'], ['b'], ['b']]);
    const report = await sendWithPartialRetry(['a', 'b'], send, { maxAttempts: 3, sleep: () => Promise.resolve() });
    expect(report).toEqual({ attempts: 3, failed: [{ entry: 'b', errorCode: 'Throttled', errorMessage: 'slow down b' }] });
    expect(batches).toHaveLength(3);
  });

  test('a send that throws counts as every pending entry failing, named after the error', async () => {
    let calls = 0;
    const send = (_batch: readonly string[]): Promise<FailedEntry<string>[]> => {
      calls++;
      return calls === 1 ? Promise.reject(Object.assign(new Error('boom'), { name: 'InternalFailure' })) : Promise.resolve([]);
    };
    expect(await sendWithPartialRetry(['a'], send, { maxAttempts: 2, sleep: () => Promise.resolve() })).toEqual({ attempts: 2, failed: [] });

    const alwaysThrows = (): Promise<FailedEntry<string>[]> => Promise.reject(Object.assign(new Error('boom'), { name: 'InternalFailure' }));
    const report = await sendWithPartialRetry(['a', 'b'], alwaysThrows, { maxAttempts: 2, sleep: () => Promise.resolve() });
    expect(report.failed).toEqual([
      { entry: 'a', errorCode: 'InternalFailure', errorMessage: 'boom' },
      { entry: 'b', errorCode: 'InternalFailure', errorMessage: 'boom' },
    ]);
  });

  test('a thrown non-Error is reported with the code Error', async () => {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    const report = await sendWithPartialRetry(['a'], () => Promise.reject('nope'), { maxAttempts: 1, sleep: () => Promise.resolve() });
    expect(report.failed).toEqual([{ entry: 'a', errorCode: 'Error', errorMessage: 'nope' }]);
  });

  test('no entries: no call', async () => {
    const send = jest.fn(() => Promise.resolve([] as FailedEntry<string>[]));
    expect(await sendWithPartialRetry([], send, { maxAttempts: 3 })).toEqual({ attempts: 0, failed: [] });
    expect(send).not.toHaveBeenCalled();
  });
});
