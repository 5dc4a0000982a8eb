/**
 * The event source mappings of a fixture service definition's functions, with their ARNs resolved
 * against the resources created from it (given here as createDeclaredResources returns them).
 */
import type { DeclaredResource, DeclaredResources, ServiceDefinition } from '../../../../lib/local/service';
import {
  eventSourceMappingsOf,
  InvalidEventSourceSettingError,
  UnresolvableEventSourceError,
} from '../../../../lib/local/esm/mappings-from-service';
import { fixtureService } from '../../../support/emulators';

const ENDPOINT = 'http://sqs.eu-west-1.localhost:4566/000000000000';
const STREAM_ARN = 'arn:aws:kinesis:eu-west-1:000000000000:stream/fixture-it-events';

const queue = (logicalId: string, name: string): DeclaredResource => ({
  logicalId, type: 'AWS::SQS::Queue', name, arn: `arn:aws:sqs:eu-west-1:000000000000:${name}`, ref: `${ENDPOINT}/${name}`,
  attributes: { Arn: `arn:aws:sqs:eu-west-1:000000000000:${name}`, QueueName: name, QueueUrl: `${ENDPOINT}/${name}` },
  status: 'created', ignoredProperties: [],
});

/** What createDeclaredResources gives for the fixture's stream and queues. */
const DECLARED: DeclaredResources = {
  resources: {
    EventsStream: {
      logicalId: 'EventsStream', type: 'AWS::Kinesis::Stream', name: 'fixture-it-events', arn: STREAM_ARN, ref: 'fixture-it-events',
      attributes: { Arn: STREAM_ARN }, status: 'created', ignoredProperties: [],
    },
    WorkQueue: queue('WorkQueue', 'fixture-it-work'),
    OrdersQueue: queue('OrdersQueue', 'fixture-it-orders.fifo'),
    WorkDeadLetterQueue: queue('WorkDeadLetterQueue', 'fixture-it-work-dlq'),
  },
  skipped: [{ logicalId: 'DataKey', type: 'AWS::KMS::Key', reason: 'not created locally' }],
};

/** The error `call` throws. */
function thrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

const withFunctions = (functions: Record<string, unknown>): ServiceDefinition => ({ ...fixtureService(), functions });

describe('eventSourceMappingsOf', () => {
  it('reads every stream and sqs setting osls documents, resolving GetAtt to the created stream and queues', () => {
    const service = withFunctions({
      ingest: {
        handler: 'functions/ingest.handler',
        events: [
          { http: { path: '/', method: 'post' } },
          {
            stream: {
              type: 'kinesis', arn: { 'Fn::GetAtt': ['EventsStream', 'Arn'] }, batchSize: 250, batchWindow: 5, startingPosition: 'LATEST',
              parallelizationFactor: 4, bisectBatchOnFunctionError: true, maximumRetryAttempts: 3, maximumRecordAgeInSeconds: 3600,
              functionResponseType: 'ReportBatchItemFailures',
              destinations: { onFailure: { arn: { 'Fn::GetAtt': ['WorkDeadLetterQueue', 'Arn'] }, type: 'sqs' } },
            },
          },
        ],
      },
      worker: {
        handler: 'functions/worker.handler',
        name: 'custom-worker',
        events: [
          { sqs: { arn: { 'Fn::GetAtt': 'WorkQueue.Arn' }, batchSize: 100, maximumBatchingWindow: 10, functionResponseType: 'ReportBatchItemFailures', maximumConcurrency: 5 } },
          { sqs: { arn: { 'Fn::GetAtt': ['OrdersQueue', 'Arn'] } } },
        ],
      },
    });
    const mappings = eventSourceMappingsOf(service, DECLARED);
    expect(mappings.kinesis).toEqual([{
      functionKey: 'ingest',
      path: 'functions.ingest.events[1].stream',
      ignoredSettings: [],
      config: {
        functionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:fixture-it-ingest',
        streamName: 'fixture-it-events', streamArn: STREAM_ARN,
        batchSize: 250, maximumBatchingWindowInSeconds: 5, startingPosition: 'LATEST', parallelizationFactor: 4,
        bisectBatchOnFunctionError: true, maximumRetryAttempts: 3, maximumRecordAgeInSeconds: 3600, reportBatchItemFailures: true,
        onFailure: { queueUrl: `${ENDPOINT}/fixture-it-work-dlq`, queueArn: 'arn:aws:sqs:eu-west-1:000000000000:fixture-it-work-dlq' },
      },
    }]);
    expect(mappings.sqs.map((m) => m.config)).toEqual([
      {
        functionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:custom-worker',
        queueUrl: `${ENDPOINT}/fixture-it-work`, queueArn: 'arn:aws:sqs:eu-west-1:000000000000:fixture-it-work',
        batchSize: 100, maximumBatchingWindowInSeconds: 10, reportBatchItemFailures: true, maximumConcurrency: 5,
      },
      {
        functionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:custom-worker',
        queueUrl: `${ENDPOINT}/fixture-it-orders.fifo`, queueArn: 'arn:aws:sqs:eu-west-1:000000000000:fixture-it-orders.fifo',
        batchSize: 10,
      },
    ]);
    expect(mappings.sqs.map((m) => m.path)).toEqual(['functions.worker.events[0].sqs', 'functions.worker.events[1].sqs']);
    expect(mappings.skipped).toEqual([]);
  });

  it('applies osls\'s defaults (batchSize 10, TRIM_HORIZON) and takes ARNs given as strings or through other intrinsics', () => {
    const mappings = eventSourceMappingsOf(withFunctions({
      a: {
        handler: 'h.a',
        events: [
          { stream: STREAM_ARN },
          { sqs: 'arn:aws:sqs:eu-west-1:000000000000:fixture-it-work' },
          { sqs: { arn: { 'Fn::Sub': 'arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:${AWS::StackName}-work' } } },
          { stream: { type: 'kinesis', arn: 'arn:aws:kinesis:eu-west-1:000000000000:stream/not-declared' } },
        ],
      },
    }), DECLARED, { functionArnOf: (key) => `local:${key}` });
    expect(mappings.kinesis.map((m) => m.config)).toEqual([
      { functionArn: 'local:a', streamName: 'fixture-it-events', streamArn: STREAM_ARN, batchSize: 10, startingPosition: 'TRIM_HORIZON' },
      { functionArn: 'local:a', streamName: 'not-declared', streamArn: 'arn:aws:kinesis:eu-west-1:000000000000:stream/not-declared', batchSize: 10, startingPosition: 'TRIM_HORIZON' },
    ]);
    expect(mappings.sqs.map((m) => m.config.queueUrl)).toEqual([`${ENDPOINT}/fixture-it-work`, `${ENDPOINT}/fixture-it-work`]);
  });

  it('skips disabled mappings and DynamoDB streams, and lists settings it does not apply', () => {
    const mappings = eventSourceMappingsOf(withFunctions({
      a: {
        handler: 'h.a',
        events: [
          { sqs: { arn: { 'Fn::GetAtt': ['WorkQueue', 'Arn'] }, enabled: false } },
          { stream: { type: 'dynamodb', arn: { 'Fn::GetAtt': ['ItemsTable', 'StreamArn'] } } },
          { stream: 'arn:aws:dynamodb:eu-west-1:000000000000:table/t/stream/2024-01-01T00:00:00.000' },
          { sqs: { arn: { 'Fn::GetAtt': ['WorkQueue', 'Arn'] }, filterPatterns: [{ body: { kind: ['a'] } }] } },
          {
            stream: {
              type: 'kinesis', arn: { 'Fn::GetAtt': ['EventsStream', 'Arn'] }, consumer: true, tumblingWindowInSeconds: 60,
              destinations: { onFailure: 'arn:aws:sns:eu-west-1:000000000000:alerts' },
            },
          },
        ],
      },
    }), DECLARED);
    expect(mappings.skipped).toEqual([
      { functionKey: 'a', path: 'functions.a.events[0].sqs', reason: 'enabled: false' },
      { functionKey: 'a', path: 'functions.a.events[1].stream', reason: 'DynamoDB streams are not emulated' },
      { functionKey: 'a', path: 'functions.a.events[2].stream', reason: 'DynamoDB streams are not emulated' },
    ]);
    expect(mappings.sqs.map((m) => m.ignoredSettings)).toEqual([['filterPatterns']]);
    expect(mappings.kinesis.map((m) => m.ignoredSettings)).toEqual([['consumer', 'tumblingWindowInSeconds', 'destinations.onFailure']]);
    expect(mappings.kinesis[0]!.config.onFailure).toBeUndefined();
  });

  it.each<[string, unknown, string]>([
    ['a GetAtt of an undeclared resource', { sqs: { arn: { 'Fn::GetAtt': ['NoSuchQueue', 'Arn'] } } }, 'functions.a.events[0].sqs.arn'],
    ['a GetAtt of a resource not created locally', { sqs: { arn: { 'Fn::GetAtt': ['DataKey', 'Arn'] } } }, 'functions.a.events[0].sqs.arn'],
    ['a queue ARN not declared (its URL is unknown)', { sqs: 'arn:aws:sqs:eu-west-1:000000000000:elsewhere' }, 'functions.a.events[0].sqs.arn'],
    ['a queue used as a stream', { stream: { type: 'kinesis', arn: { 'Fn::GetAtt': ['WorkQueue', 'Arn'] } } }, 'functions.a.events[0].stream.arn'],
    ['Fn::ImportValue', { sqs: { arn: { 'Fn::ImportValue': 'OtherStackQueueArn' } } }, 'functions.a.events[0].sqs.arn'],
    ['an undeclared on-failure queue', { stream: { type: 'kinesis', arn: STREAM_ARN, destinations: { onFailure: 'arn:aws:sqs:eu-west-1:000000000000:nope' } } }, 'functions.a.events[0].stream.destinations.onFailure'],
  ])('throws UnresolvableEventSourceError for %s', (_case, event, path) => {
    const error = thrownBy(() => eventSourceMappingsOf(withFunctions({ a: { handler: 'h.a', events: [event] } }), DECLARED));
    expect(error).toBeInstanceOf(UnresolvableEventSourceError);
    expect(error).toMatchObject({ path });
  });

  it.each<[string, unknown, string]>([
    ['a batch size that is not a number', { sqs: { arn: { 'Fn::GetAtt': ['WorkQueue', 'Arn'] }, batchSize: 'many' } }, 'functions.a.events[0].sqs.batchSize'],
    ['a function response type other than ReportBatchItemFailures', { sqs: { arn: { 'Fn::GetAtt': ['WorkQueue', 'Arn'] }, functionResponseType: 'Other' } }, 'functions.a.events[0].sqs.functionResponseType'],
    ['maximumBatchingWindow on a stream (osls calls it batchWindow there)', { stream: { type: 'kinesis', arn: STREAM_ARN, maximumBatchingWindow: 5 } }, 'functions.a.events[0].stream.maximumBatchingWindow'],
    ['startingPosition AT_TIMESTAMP', { stream: { type: 'kinesis', arn: STREAM_ARN, startingPosition: 'AT_TIMESTAMP' } }, 'functions.a.events[0].stream.startingPosition'],
    ['a stream of an unknown type', { stream: { type: 'kafka', arn: STREAM_ARN } }, 'functions.a.events[0].stream.type'],
  ])('throws InvalidEventSourceSettingError for %s', (_case, event, path) => {
    const error = thrownBy(() => eventSourceMappingsOf(withFunctions({ a: { handler: 'h.a', events: [event] } }), DECLARED));
    expect(error).toBeInstanceOf(InvalidEventSourceSettingError);
    expect(error).toMatchObject({ path });
  });

  it('finds nothing in a service without stream or sqs events', () => {
    expect(eventSourceMappingsOf(fixtureService(), DECLARED)).toEqual({ kinesis: [], sqs: [], skipped: [] });
  });
});
