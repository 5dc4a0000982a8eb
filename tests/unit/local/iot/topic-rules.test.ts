import { KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { compileTemplate, LocalIotRules, matchesTopicFilter, parseRuleSql, topicRulesOf, UnsupportedRuleActionError, UnsupportedRuleExpressionError } from '../../../../lib/local/iot';
import { IntrinsicResolver, LOCAL_PSEUDO_PARAMETERS } from '../../../../lib/local/service';
import type { ServiceDefinition } from '../../../../lib/local/service';

describe('matchesTopicFilter', () => {
  it.each([
    ['devices/+/telemetry', 'devices/sensor-1/telemetry', true],
    ['devices/+/telemetry', 'devices/sensor-1/status', false],
    ['devices/+/telemetry', 'devices/a/b/telemetry', false],
    ['devices/#', 'devices', true],
    ['devices/#', 'devices/a/b', true],
    ['devices/+', 'devices', false],
  ])('%s ~ %s → %s', (filter, topic, expected) => expect(matchesTopicFilter(filter, topic)).toBe(expected));
});

describe('rule SQL and substitution templates', () => {
  const context = { topic: 'devices/sensor-7/telemetry', clientId: 'sensor-7', receivedMs: 1_795_000_000_000 };

  it('passes SELECT * through and adds named items', () => {
    const statement = parseRuleSql("SELECT *, topic(2) AS thing, clientid() AS client FROM 'devices/+/telemetry'");
    expect(statement.topicFilter).toBe('devices/+/telemetry');
    expect(JSON.parse(statement.evaluate(Buffer.from('{"t":1}'), context).toString())).toEqual({ t: 1, thing: 'sensor-7', client: 'sensor-7' });
  });

  it('keeps a non-JSON payload as-is for SELECT *, and refuses to select fields from it', () => {
    const star = parseRuleSql("SELECT * FROM 'devices/+/telemetry'");
    expect(star.evaluate(Buffer.from([1, 2, 3]), context)).toEqual(Buffer.from([1, 2, 3]));
    expect(() => parseRuleSql("SELECT t FROM 'x'").evaluate(Buffer.from('nope'), context)).toThrow(/not JSON/);
  });

  it('refuses what it cannot evaluate faithfully', () => {
    expect(() => parseRuleSql("SELECT * FROM 'a' WHERE t > 1")).toThrow(UnsupportedRuleExpressionError);
    expect(() => parseRuleSql("SELECT upper(t) FROM 'a'")).toThrow(/upper\(\) is not implemented/);
  });

  it('fills substitution templates, with Undefined as empty', () => {
    const template = compileTemplate('${topic(2)}/${reading.id}/${topic(9)}');
    expect(template({ ...context, json: { reading: { id: 42 } } })).toBe('sensor-7/42/');
  });
});

describe('LocalIotRules', () => {
  const kinesis = mockClient(KinesisClient);
  const s3 = mockClient(S3Client);
  beforeEach(() => {
    kinesis.reset();
    s3.reset();
  });
  const service: ServiceDefinition = {
    service: 'fixture',
    provider: { name: 'aws', stage: 'it', region: 'eu-west-1' },
    resources: {
      Resources: {
        TelemetryRule: {
          Type: 'AWS::IoT::TopicRule',
          Properties: {
            TopicRulePayload: {
              Sql: "SELECT * FROM 'devices/+/telemetry'",
              Actions: [{ Kinesis: { StreamName: { Ref: 'Stream' }, PartitionKey: { 'Fn::Sub': '${!topic(2)}' }, RoleArn: { 'Fn::GetAtt': ['RuleRole', 'Arn'] } } }],
              ErrorAction: { S3: { BucketName: 'data', Key: 'iot-errors/${newuuid()}.json', RoleArn: 'arn:aws:iam::1:role/r' } },
            },
          },
        },
      },
    },
  };
  const resolver = new IntrinsicResolver({ ...LOCAL_PSEUDO_PARAMETERS, stackName: 'fixture-it' }, {
    ref: (id) => (id === 'Stream' ? { value: 'fixture-it-telemetry' } : { unresolved: id }),
    getAtt: (id) => ({ unresolved: id }),
  });
  const engine = (): LocalIotRules => new LocalIotRules(topicRulesOf(service, resolver), {
    kinesis: () => new KinesisClient({ region: 'eu-west-1' }), s3: () => new S3Client({ region: 'eu-west-1' }), sqs: () => new SQSClient({ region: 'eu-west-1' }),
  });

  it('puts a matching message into the stream with the topic level as partition key', async () => {
    kinesis.on(PutRecordCommand).resolves({ ShardId: 'shardId-000000000000', SequenceNumber: '1' });
    const outcomes = await engine().publish('devices/sensor-0042/telemetry', '{"device_id":"sensor-0042"}');
    expect(outcomes).toEqual([{ rule: 'TelemetryRule', failures: [], errorActionDelivered: false }]);
    const input = kinesis.commandCalls(PutRecordCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ StreamName: 'fixture-it-telemetry', PartitionKey: 'sensor-0042' });
    expect(Buffer.from(input.Data!).toString()).toBe('{"device_id":"sensor-0042"}');
  });

  it('ignores topics no rule matches', async () => {
    const rules = engine();
    expect(await rules.publish('devices/sensor-1/status', '{}')).toEqual([]);
    expect(kinesis.commandCalls(PutRecordCommand)).toHaveLength(0);
    expect(rules.stats).toMatchObject({ messages: 1, ruleMatches: 0 });
  });

  it("sends AWS's error message to the error action when the Kinesis action fails", async () => {
    kinesis.on(PutRecordCommand).rejects(Object.assign(new Error('Rate exceeded for shard'), { name: 'ProvisionedThroughputExceededException' }));
    s3.on(PutObjectCommand).resolves({});
    const [outcome] = await engine().publish('devices/sensor-1/telemetry', 'raw bytes');
    expect(outcome).toMatchObject({ errorActionDelivered: true, failures: [{ failedAction: 'KinesisAction', failedResource: 'fixture-it-telemetry' }] });
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put.Key).toMatch(/^iot-errors\/[0-9a-f-]{36}\.json$/);
    const report = JSON.parse(put.Body as string) as Record<string, unknown>;
    expect(report).toMatchObject({ ruleName: 'TelemetryRule', topic: 'devices/sensor-1/telemetry', clientId: 'sensor-1', base64OriginalPayload: Buffer.from('raw bytes').toString('base64') });
    expect((report.failures as { errorMessage: string }[])[0]!.errorMessage).toMatch(/ProvisionedThroughputExceededException/);
  });

  it('refuses a rule action it does not implement', () => {
    const lambda: ServiceDefinition = { ...service, resources: { Resources: { R: { Type: 'AWS::IoT::TopicRule', Properties: { TopicRulePayload: { Sql: "SELECT * FROM 'a'", Actions: [{ Lambda: { FunctionArn: 'x' } }] } } } } } };
    expect(() => topicRulesOf(lambda, resolver)).toThrow(UnsupportedRuleActionError);
  });
});
