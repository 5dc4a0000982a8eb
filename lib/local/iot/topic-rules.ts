/**
 * A local AWS IoT rules engine for the topic rules serverless.yml declares: a message published
 * on a topic runs every enabled rule whose `FROM` filter matches, and each rule's actions get
 * the statement's result. Implemented actions: Kinesis (with a substitution-template partition
 * key), S3 and SQS — as actions and as the error action, which gets AWS's error message
 * (`ruleName`, `topic`, `base64OriginalPayload`, `failures[]`) when an action fails.
 * @see https://docs.aws.amazon.com/iot/latest/developerguide/rule-error-handling.html
 */
import { randomUUID } from 'node:crypto';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { AwsClients } from '../../aws/clients';
import type { IntrinsicResolver, JsonValue, ServiceDefinition } from '../service';
import type { MessageContext } from './rule-expressions';
import { compileTemplate } from './rule-expressions';
import type { RuleStatement } from './rule-sql';
import { parseRuleSql } from './rule-sql';
import { matchesTopicFilter } from './topic-filter';

type Template = (context: MessageContext) => string;

export type RuleAction =
  | { readonly type: 'kinesis'; readonly streamName: string; readonly partitionKey: Template }
  | { readonly type: 's3'; readonly bucket: string; readonly key: Template }
  | { readonly type: 'sqs'; readonly queueUrl: string; readonly useBase64: boolean };

export interface LocalTopicRule {
  readonly name: string;
  readonly statement: RuleStatement;
  readonly actions: readonly RuleAction[];
  readonly errorAction: RuleAction | undefined;
  readonly disabled: boolean;
}

/** A rule action AWS IoT has that the local engine does not implement. */
export class UnsupportedRuleActionError extends Error {
  override readonly name = 'UnsupportedRuleActionError';
}

type Json = Readonly<Record<string, JsonValue>>;

function actionOf(action: Json, resolver: IntrinsicResolver, path: string): RuleAction {
  const [type, settings] = Object.entries(action)[0] ?? [];
  const s = (settings ?? {}) as Json;
  const text = (key: string): string => resolver.resolveString(s[key]!, `${path}.${type}.${key}`);
  switch (type) {
    case 'Kinesis':
      // Without a partition key AWS IoT spreads messages at random.
      return { type: 'kinesis', streamName: text('StreamName'), partitionKey: s.PartitionKey === undefined ? () => randomUUID() : compileTemplate(text('PartitionKey')) };
    case 'S3':
      return { type: 's3', bucket: text('BucketName'), key: compileTemplate(text('Key')) };
    case 'Sqs':
      return { type: 'sqs', queueUrl: text('QueueUrl'), useBase64: s.UseBase64 === undefined ? false : resolver.resolveBoolean(s.UseBase64, `${path}.Sqs.UseBase64`) };
    default:
      throw new UnsupportedRuleActionError(`${path}: the local IoT rules engine has no ${String(type)} action (Kinesis, S3 and Sqs are implemented)`);
  }
}

/** The declared `AWS::IoT::TopicRule`s, resolved against the resources created locally. */
export function topicRulesOf(service: ServiceDefinition, resolver: IntrinsicResolver): LocalTopicRule[] {
  const rules: LocalTopicRule[] = [];
  for (const [logicalId, resource] of Object.entries(service.resources?.Resources ?? {})) {
    if (resource.Type !== 'AWS::IoT::TopicRule') continue;
    const path = `resources.Resources.${logicalId}.Properties`;
    // Only the fields the engine uses are resolved: the actions' RoleArn names IAM roles, which are not created locally.
    const payload = (resource.Properties?.TopicRulePayload ?? {}) as Json;
    const actions = ((payload.Actions ?? []) as Json[]).map((action, i) => actionOf(action, resolver, `${path}.TopicRulePayload.Actions[${i}]`));
    rules.push({
      name: resource.Properties?.RuleName === undefined ? logicalId : resolver.resolveString(resource.Properties.RuleName, `${path}.RuleName`),
      statement: parseRuleSql(resolver.resolveString(payload.Sql ?? '', `${path}.TopicRulePayload.Sql`)),
      actions,
      errorAction: payload.ErrorAction ? actionOf(payload.ErrorAction as Json, resolver, `${path}.TopicRulePayload.ErrorAction`) : undefined,
      disabled: payload.RuleDisabled === undefined ? false : resolver.resolveBoolean(payload.RuleDisabled, `${path}.TopicRulePayload.RuleDisabled`),
    });
  }
  return rules;
}

/** What happened to one message in one rule. */
export interface RuleOutcome {
  readonly rule: string;
  /** Actions that failed, with AWS's error message shape; empty when all succeeded. */
  readonly failures: readonly { readonly failedAction: string; readonly failedResource: string; readonly errorMessage: string }[];
  /** Whether the error action took the failures (false when there is none, or it failed too). */
  readonly errorActionDelivered: boolean;
}

export interface IotRuleStats {
  messages: number;
  ruleMatches: number;
  actionsSucceeded: number;
  actionsFailed: number;
  errorActionsDelivered: number;
  /** Messages a rule could not evaluate (AWS logs these to CloudWatch; no action runs). */
  sqlErrors: number;
}

const ACTION_NAMES = { kinesis: 'KinesisAction', s3: 'S3Action', sqs: 'SqsAction' } as const;

export class LocalIotRules {
  readonly stats: IotRuleStats = { messages: 0, ruleMatches: 0, actionsSucceeded: 0, actionsFailed: 0, errorActionsDelivered: 0, sqlErrors: 0 };

  constructor(readonly rules: readonly LocalTopicRule[], private readonly clients: Pick<AwsClients, 'kinesis' | 's3' | 'sqs'>) {}

  /** Publishes one message (as a device would over MQTT) and runs the matching rules. */
  async publish(topic: string, payload: Buffer | string, options: { clientId?: string } = {}): Promise<RuleOutcome[]> {
    const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
    this.stats.messages++;
    const base = { topic, clientId: options.clientId ?? topic.split('/')[1] ?? 'local', receivedMs: Date.now() };
    const outcomes: RuleOutcome[] = [];
    for (const rule of this.rules) {
      if (rule.disabled || !matchesTopicFilter(rule.statement.topicFilter, topic)) continue;
      this.stats.ruleMatches++;
      let message: Buffer;
      try {
        message = rule.statement.evaluate(bytes, base);
      } catch {
        this.stats.sqlErrors++;
        continue;
      }
      let json: unknown;
      try {
        json = JSON.parse(message.toString('utf8'));
      } catch {
        json = undefined;
      }
      const context: MessageContext = { ...base, json };
      const failures = [];
      for (const action of rule.actions) {
        try {
          await this.run(action, message, context);
          this.stats.actionsSucceeded++;
        } catch (error) {
          this.stats.actionsFailed++;
          failures.push({ failedAction: ACTION_NAMES[action.type], failedResource: resourceOf(action), errorMessage: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
        }
      }
      let errorActionDelivered = false;
      if (failures.length > 0 && rule.errorAction) {
        // One error message per rule and message, listing every failed action.
        const report = { ruleName: rule.name, topic, cloudwatchTraceId: randomUUID(), clientId: base.clientId, base64OriginalPayload: bytes.toString('base64'), failures };
        try {
          await this.run(rule.errorAction, Buffer.from(JSON.stringify(report)), { ...context, json: report });
          errorActionDelivered = true;
          this.stats.errorActionsDelivered++;
        } catch {
          errorActionDelivered = false;
        }
      }
      outcomes.push({ rule: rule.name, failures, errorActionDelivered });
    }
    return outcomes;
  }

  private async run(action: RuleAction, message: Buffer, context: MessageContext): Promise<void> {
    switch (action.type) {
      case 'kinesis':
        await this.clients.kinesis().send(new PutRecordCommand({ StreamName: action.streamName, PartitionKey: action.partitionKey(context), Data: message }));
        return;
      case 's3':
        await this.clients.s3().send(new PutObjectCommand({ Bucket: action.bucket, Key: action.key(context), Body: message }));
        return;
      case 'sqs':
        await this.clients.sqs().send(new SendMessageCommand({ QueueUrl: action.queueUrl, MessageBody: action.useBase64 ? message.toString('base64') : message.toString('utf8') }));
    }
  }
}

function resourceOf(action: RuleAction): string {
  return action.type === 'kinesis' ? action.streamName : action.type === 's3' ? action.bucket : action.queueUrl;
}

