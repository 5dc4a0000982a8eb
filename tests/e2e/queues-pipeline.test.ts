/**
 * The queue half end to end through serverless.yml's queues, DLQs and event source mappings:
 * votes (standard queue) and ledger entries (FIFO), with re-sent duplicates, poison messages, votes
 * through S3 as Extended Client pointers, and each worker crashing once after handling half a
 * batch. Every vote counted once, every entry applied once in order with exact balances, every
 * poison message in its DLQ after maxReceiveCount receives — and nothing else there.
 */
import type { SQSEvent } from 'aws-lambda';
import type { LocalRuntime } from '../../lib/local/runtime';
import { startLocalRuntime } from '../../lib/local/runtime';
import { runQueuesPipeline } from '../../lib/pipeline/queues-pipeline';

const WORKERS = ['sqsWorker', 'sqsFifoWorker'] as const;
let runtime: LocalRuntime;
const crashPending = new Set<string>(WORKERS);
const crashed: string[] = [];

beforeAll(async () => {
  runtime = await startLocalRuntime({
    queueVisibilityTimeoutSeconds: 1,
    // The injected crash: the worker handles the first half of its batch, then dies without
    // answering; every message of the batch comes back after the visibility timeout.
    interceptInvoke: async (reference, event, invoke) => {
      const key = runtime.functions.keyOf(reference);
      const records = (event as Partial<SQSEvent>).Records;
      if (crashPending.has(key) && records && records.length >= 4) {
        crashPending.delete(key);
        await invoke(reference, { Records: records.slice(0, Math.floor(records.length / 2)) });
        crashed.push(key);
        throw new Error('Runtime.ExitError: the worker crashed mid-batch (injected)');
      }
      return invoke(reference, event);
    },
  });
}, 180_000);

afterAll(async () => {
  await runtime?.stop();
}, 60_000);

it('counts every vote once, applies every ledger entry once in order, and parks only the poison messages in the DLQs', async () => {
  const report = await runQueuesPipeline(runtime, { votes: 400, ledgerEntries: 150, accounts: 6, seed: 3, badEvery: 80, duplicateEvery: 20, throughS3Every: 40 });
  expect(report.problems).toEqual([]);
  expect(crashed.sort()).toEqual([...WORKERS].sort());
  expect(report.votes).toMatchObject({ unique: 400, recorded: 400, counted: 400, poison: 5, duplicates: 20, throughS3: 10 });
  expect(report.ledger).toMatchObject({ unique: 150, applied: 150, accounts: 6, balancesExact: true, poison: 1, duplicates: 7 });
  expect(report.queues.map((q) => q.deadLetters)).toEqual([5, 1]);
  for (const queue of report.queues) expect(queue.mapping.messagesFailed).toBeGreaterThan(0);
}, 400_000);
