import { S3Client } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler } from '../../../functions/sqs-fifo-worker';
import sample from '../../../events/sqs-fifo-worker.json';
import { createAwsClients } from '../../../lib/aws/clients';
import { MissingEnvironmentError } from '../../../lib/aws/function-environment';
import { createLogger, createMetrics } from '../../../lib/observability/powertools';
import { LEDGER_TABLE_KEYS } from '../../../lib/sinks/dynamodb-ledger';
import { lambdaContext } from '../../support/lambda-context';
import { entryMessage, failedIds, sqsEvent, testEntry } from '../sqs/batch/sqs-events';
import { dynamoDbError, FakeDynamoDb } from '../sqs/workers/fake-dynamodb';

const sampleEvent: SQSEvent = sample;
const db = new FakeDynamoDb({ ledger: LEDGER_TABLE_KEYS.entries, accounts: LEDGER_TABLE_KEYS.accounts });
mockClient(S3Client);
const env = { LEDGER_TABLE: 'ledger', ACCOUNTS_TABLE: 'accounts' };
const context = lambdaContext('shardline-test-sqsFifoWorker');
const clients = () => createAwsClients({ region: 'eu-west-1', endpoints: {}, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

function observed() {
  const metrics = createMetrics('sqs-fifo-worker-test');
  const addMetric = jest.spyOn(metrics, 'addMetric');
  const handler = createHandler({ clients: clients(), env, logger: createLogger('sqs-fifo-worker-test'), metrics });
  const metric = (name: string): number[] => addMetric.mock.calls.filter((c) => c[0] === name).map((c) => c[2]);
  return { handler, metric };
}

const balance = (account: string): string | undefined => db.get('accounts', { account_id: { S: account } })?.balance?.N;
const sequences = (account: string): number[] =>
  db.items('ledger').filter((e) => e.account_id!.S === account).map((e) => Number(e.sequence!.N)).sort((a, b) => a - b);

beforeEach(() => db.install());

describe('sqs-fifo-worker handler', () => {
  it('handles the sample event of events/', async () => {
    const { handler } = observed();
    await expect(handler(sampleEvent, context)).resolves.toEqual({ batchItemFailures: [] });
    expect(balance('acct-1001')).toBe('230.01');
    expect(balance('acct-2002')).toBe('1200.5');
  });

  it('after a failure, reports the rest of that group in the batch; other groups are applied', async () => {
    // acct-b's entry 2 is poison (a float amount): acct-b stops there, acct-a and acct-c go on.
    const messages = [
      entryMessage(testEntry('acct-a', 1)),
      entryMessage(testEntry('acct-b', 1)),
      { body: JSON.stringify({ ...testEntry('acct-b', 2), amount: 2.5 }), groupId: 'acct-b' },
      entryMessage(testEntry('acct-a', 2)),
      entryMessage(testEntry('acct-b', 3)),
      entryMessage(testEntry('acct-c', 1)),
      entryMessage(testEntry('acct-b', 4)),
    ];
    const { handler, metric } = observed();
    const response = await handler(sqsEvent(messages), context);
    expect(failedIds(response)).toEqual(['msg-2', 'msg-4', 'msg-6']);
    expect(metric('PoisonMessages')).toEqual([1]);
    expect(metric('MessagesBlocked')).toEqual([2]);
    expect(sequences('acct-a')).toEqual([1, 2]);
    expect(sequences('acct-b')).toEqual([1]);
    expect(sequences('acct-c')).toEqual([1]);
  });

  it('a transient failure holds its group back; the redelivered group is applied in order, duplicates change nothing', async () => {
    let throttled = true;
    db.injectFault((actions) => (throttled && actions[0]!.Put!.Item!.account_id!.S === 'acct-a' && actions[0]!.Put!.Item!.sequence!.N === '2' ? dynamoDbError('ThrottlingException') : undefined));
    const messages = [1, 2, 3].flatMap((n) => [entryMessage(testEntry('acct-a', n)), entryMessage(testEntry('acct-b', n))]);
    const { handler, metric } = observed();
    const first = await handler(sqsEvent(messages), context);
    expect(failedIds(first)).toEqual(['msg-2', 'msg-4']);
    expect(sequences('acct-a')).toEqual([1]);
    expect(sequences('acct-b')).toEqual([1, 2, 3]);

    // SQS delivers acct-a again from entry 2 on; a producer's resend of acct-b 3 comes along.
    throttled = false;
    const retry = await handler(sqsEvent([messages[2]!, messages[4]!, messages[5]!]), context);
    expect(retry).toEqual({ batchItemFailures: [] });
    expect(sequences('acct-a')).toEqual([1, 2, 3]);
    expect(balance('acct-a')).toBe('6.3');
    expect(balance('acct-b')).toBe('6.3');
    expect(metric('DuplicateMessages')).toEqual([0, 1]);
  });

  it('names a missing variable', async () => {
    const handler = createHandler({ clients: clients(), env: { LEDGER_TABLE: 'ledger' } });
    await expect(handler(sqsEvent([entryMessage(testEntry('acct-a', 1))]), context)).rejects.toThrow(MissingEnvironmentError);
  });
});
