import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { DeleteObjectCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { SQSEvent, SQSMessageAttributes } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler } from '../../../functions/sqs-worker';
import sample from '../../../events/sqs-worker.json';
import { createAwsClients } from '../../../lib/aws/clients';
import { MissingEnvironmentError } from '../../../lib/aws/function-environment';
import { createLogger, createMetrics } from '../../../lib/observability/powertools';
import { VOTE_TABLE_KEYS } from '../../../lib/sinks/dynamodb-votes';
import { encodePointer, RESERVED_ATTRIBUTE_NAME } from '../../../lib/sqs/extended-payload';
import { InvalidEnvironmentError } from '../../../lib/sqs/workers/environment';
import { lambdaContext } from '../../support/lambda-context';
import { failedIds, sqsEvent, testVote } from '../sqs/batch/sqs-events';
import { dynamoDbError, FakeDynamoDb } from '../sqs/workers/fake-dynamodb';

const sampleEvent: SQSEvent = sample;
const db = new FakeDynamoDb({ votes: VOTE_TABLE_KEYS.votes, tallies: VOTE_TABLE_KEYS.tallies });
const s3 = mockClient(S3Client);
const env = { VOTES_TABLE: 'votes', VOTE_TALLIES_TABLE: 'tallies' };
const context = lambdaContext('shardline-test-sqsWorker');
const clients = () => createAwsClients({ region: 'eu-west-1', endpoints: {}, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

function observed(handlerEnv: Record<string, string> = env) {
  const logger = createLogger('sqs-worker-test');
  const metrics = createMetrics('sqs-worker-test');
  const addMetric = jest.spyOn(metrics, 'addMetric');
  const logged = jest.spyOn(logger, 'error');
  const handler = createHandler({ clients: clients(), env: handlerEnv, logger, metrics });
  const metric = (name: string): number[] => addMetric.mock.calls.filter((c) => c[0] === name).map((c) => c[2]);
  return { handler, metric, logged };
}

const tally = (poll: string, option: string): number | undefined => {
  const item = db.get('tallies', { poll_id: { S: poll }, option: { S: option } });
  return item === undefined ? undefined : Number(item.votes!.N);
};
const pointerAttributes = (bytes: number): SQSMessageAttributes => ({
  [RESERVED_ATTRIBUTE_NAME]: { dataType: 'Number', stringValue: String(bytes), stringListValues: [], binaryListValues: [] },
});

beforeEach(() => {
  db.install();
  s3.reset();
  s3.on(DeleteObjectCommand).resolves({});
});

describe('sqs-worker handler', () => {
  it('handles the sample event of events/', async () => {
    const { handler, metric } = observed();
    await expect(handler(sampleEvent, context)).resolves.toEqual({ batchItemFailures: [] });
    expect(tally('best-pipeline-2026', 'kinesis')).toBe(2);
    expect(tally('best-pipeline-2026', 'sqs')).toBe(1);
    expect(db.items('votes')).toHaveLength(3);
    expect(metric('MessagesApplied')).toEqual([3]);
  });

  it('reports only the failed messages; poison ones are logged with their reason and counted', async () => {
    const { handler, metric, logged } = observed();
    const event = sqsEvent([
      JSON.stringify(testVote(1)),
      'not json at all',
      JSON.stringify({ ...testVote(3), vote_id: 'nope' }),
      JSON.stringify(testVote(4)),
    ]);
    const response = await handler(event, context);
    expect(failedIds(response)).toEqual(['msg-1', 'msg-2']);
    expect(metric('PoisonMessages')).toEqual([2]);
    expect(metric('MessagesApplied')).toEqual([2]);
    const [message, details] = logged.mock.calls[0]! as [string, { poison: { messageId: string; poison: string; field?: string }[] }];
    expect(message).toMatch(/Poison messages/);
    expect(details.poison.map((p) => [p.messageId, p.poison, p.field])).toEqual([['msg-1', 'undecodable', undefined], ['msg-2', 'invalid', 'vote_id']]);
  });

  it('counts a redelivered batch once: the second time every message is a duplicate', async () => {
    const { handler, metric } = observed();
    const event = sqsEvent(Array.from({ length: 10 }, (_, n) => JSON.stringify(testVote(n))));
    await handler(event, context);
    const before = db.items('tallies').map((t) => t.votes!.N);
    await expect(handler(event, context)).resolves.toEqual({ batchItemFailures: [] });
    expect(db.items('tallies').map((t) => t.votes!.N)).toEqual(before);
    expect(metric('DuplicateMessages')).toEqual([0, 10]);
  });

  it('fails the messages of a throttled tally (transient), the others are counted', async () => {
    db.injectFault((actions) => (actions.at(-1)!.Update!.Key!.option!.S === 'opt-1' ? dynamoDbError('ProvisionedThroughputExceededException') : undefined));
    const { handler, metric } = observed();
    const response = await handler(sqsEvent([1, 2, 4, 5].map((n) => JSON.stringify(testVote(n)))), context);
    // Votes 1 and 4 count for opt-1.
    expect(failedIds(response)).toEqual(['msg-0', 'msg-2']);
    expect(metric('MessagesRetried')).toEqual([2]);
    expect(metric('PoisonMessages')).toEqual([0]);
  });

  it('reports every id of a batch that failed whole', async () => {
    db.injectFault(() => dynamoDbError('ResourceNotFoundException'));
    const { handler } = observed();
    const response = await handler(sqsEvent(['garbage', JSON.stringify(testVote(1)), JSON.stringify(testVote(2))]), context);
    expect(failedIds(response)).toEqual(['msg-0', 'msg-1', 'msg-2']);
  });

  describe('large votes through S3', () => {
    const vote = testVote(21);
    const body = JSON.stringify(vote);
    const pointerMessage = (key: string) => ({ body: encodePointer({ s3BucketName: 'payloads', s3Key: key }), messageAttributes: pointerAttributes(Buffer.byteLength(body)) });

    beforeEach(() => {
      s3.on(GetObjectCommand, { Bucket: 'payloads', Key: 'big' }).resolves({ Body: { transformToString: () => Promise.resolve(body) } } as unknown as GetObjectCommandOutput);
      s3.on(GetObjectCommand, { Bucket: 'payloads', Key: 'gone' }).rejects(Object.assign(new Error('no such key'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }));
    });

    it('resolves a pointer transparently and keeps the object by default', async () => {
      const { handler, metric } = observed();
      await expect(handler(sqsEvent([pointerMessage('big')]), context)).resolves.toEqual({ batchItemFailures: [] });
      expect(tally(vote.poll_id, vote.option)).toBe(1);
      expect(metric('PayloadsFromS3')).toEqual([1]);
      expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
    });

    it('deletes the object of a message that succeeded when DELETE_PAYLOAD_AFTER_SUCCESS is true; a missing object is poison', async () => {
      const { handler, metric } = observed({ ...env, DELETE_PAYLOAD_AFTER_SUCCESS: 'true' });
      const response = await handler(sqsEvent([pointerMessage('big'), pointerMessage('gone')]), context);
      expect(failedIds(response)).toEqual(['msg-1']);
      expect(metric('PoisonMessages')).toEqual([1]);
      expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: 'payloads', Key: 'big' }]);
    });

    it('a payload that cannot be deleted does not fail its message', async () => {
      s3.on(DeleteObjectCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
      const { handler, metric } = observed({ ...env, DELETE_PAYLOAD_AFTER_SUCCESS: 'true' });
      await expect(handler(sqsEvent([pointerMessage('big')]), context)).resolves.toEqual({ batchItemFailures: [] });
      expect(metric('PayloadDeleteFailures')).toEqual([1]);
    });
  });

  it('names a missing or invalid variable', async () => {
    const event = sqsEvent([JSON.stringify(testVote(1))]);
    await expect(createHandler({ clients: clients(), env: { VOTES_TABLE: 'votes' } })(event, context)).rejects.toThrow(MissingEnvironmentError);
    await expect(createHandler({ clients: clients(), env: { ...env, DELETE_PAYLOAD_AFTER_SUCCESS: 'yes' } })(event, context)).rejects.toThrow(InvalidEnvironmentError);
  });
});
