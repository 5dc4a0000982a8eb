/** `AWS::SQS::Queue` → an SQS queue in the emulator, FIFO and redrive policy included. */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  type QueueAttributeName,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { awsErrorName, generatedName, ResourceCreationError, ignoredProperties, propertyPath, type DeclaredResource, type ResourceCreator } from './declared-resource';
import type { IntrinsicResolver } from './intrinsics';
import { InvalidPropertyError, readObject } from './property-readers';
import type { JsonValue } from './service-definition';

/** Properties passed as queue attributes of the same name (strings, as the API wants them). */
const SCALAR_ATTRIBUTES = [
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
] as const;
/** Properties holding a JSON policy (an object, or a string of JSON), passed as JSON text. */
const POLICY_ATTRIBUTES = ['RedrivePolicy', 'RedriveAllowPolicy'] as const;
const APPLIED = ['QueueName', ...SCALAR_ATTRIBUTES, ...POLICY_ATTRIBUTES] as const;

/** The queue attributes the definition declares, intrinsics resolved (the DLQ's ARN in `RedrivePolicy`). */
export function queueAttributesOf(logicalId: string, properties: Readonly<Record<string, JsonValue>>, resolver: IntrinsicResolver): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const key of SCALAR_ATTRIBUTES) {
    const value = properties[key];
    if (value !== undefined) attributes[key] = resolver.resolveString(value, propertyPath(logicalId, key));
  }
  for (const key of POLICY_ATTRIBUTES) {
    const value = properties[key];
    if (value === undefined) continue;
    const path = propertyPath(logicalId, key);
    if (typeof value === 'string') {
      try {
        JSON.parse(value);
      } catch {
        throw new InvalidPropertyError(path, 'a policy object or JSON text', value);
      }
      attributes[key] = value;
    } else {
      attributes[key] = JSON.stringify(readObject(resolver, value, path));
    }
  }
  return attributes;
}

/**
 * Creates the queue, or, if it exists, sets its attributes to the declared ones (all but
 * `FifoQueue`, which cannot change). A FIFO queue declared without a name gets a `.fifo` one.
 */
export const sqsQueueCreator: ResourceCreator = {
  type: 'AWS::SQS::Queue',
  service: 'sqs',
  async create({ logicalId, properties, resolver, clients, stackName }): Promise<DeclaredResource> {
    const attributes = queueAttributesOf(logicalId, properties, resolver);
    const fifo = attributes.FifoQueue === 'true';
    const name = properties.QueueName === undefined
      ? fifo
        ? `${generatedName(stackName, logicalId, 75)}.fifo`
        : generatedName(stackName, logicalId, 80)
      : resolver.resolveString(properties.QueueName, propertyPath(logicalId, 'QueueName'));

    const sqs = clients.sqs();
    let url: string | undefined;
    try {
      ({ QueueUrl: url } = await sqs.send(new GetQueueUrlCommand({ QueueName: name })));
    } catch (error) {
      if (awsErrorName(error) !== 'QueueDoesNotExist') throw error;
    }
    const status: DeclaredResource['status'] = url === undefined ? 'created' : 'existed';
    const refused: string[] = [];
    if (url === undefined) {
      ({ QueueUrl: url } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes })));
    } else {
      const changeable = Object.fromEntries(Object.entries(attributes).filter(([key]) => key !== 'FifoQueue'));
      if (Object.keys(changeable).length > 0) refused.push(...(await setQueueAttributes(sqs, url, changeable)));
    }
    if (url === undefined) throw new ResourceCreationError(logicalId, `CreateQueue ${name} answered without a QueueUrl`);
    const { Attributes: current } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn' satisfies QueueAttributeName] }));
    const arn = current?.QueueArn;
    if (arn === undefined) throw new ResourceCreationError(logicalId, `GetQueueAttributes ${name} answered without a QueueArn`);
    return {
      logicalId,
      type: this.type,
      name,
      arn,
      ref: url,
      attributes: { Arn: arn, QueueName: name, QueueUrl: url },
      status,
      ignoredProperties: [...ignoredProperties(properties, APPLIED), ...refused],
    };
  },
};

/**
 * Sets the attributes of an existing queue; those the emulator refuses to change
 * (`InvalidAttributeName`: fauxqs accepts only some on SetQueueAttributes, AWS takes them all)
 * are set one by one and returned, to be reported as not applied.
 */
/** `InvalidAttributeName`, as the JSON protocol may name it (`AWS.SimpleQueueService.InvalidAttributeName`). */
const isInvalidAttributeName = (error: unknown): boolean => /(^|\.)InvalidAttributeName$/.test(awsErrorName(error) ?? '');

async function setQueueAttributes(sqs: SQSClient, url: string, attributes: Record<string, string>): Promise<string[]> {
  try {
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
    return [];
  } catch (error) {
    if (!isInvalidAttributeName(error)) throw error;
  }
  const refused: string[] = [];
  for (const [key, value] of Object.entries(attributes)) {
    try {
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { [key]: value } }));
    } catch (error) {
      if (!isInvalidAttributeName(error)) throw error;
      refused.push(key);
    }
  }
  return refused;
}
