import { IntrinsicResolver, referencedLogicalIds, UnresolvableIntrinsicError, type LookupResult, type PseudoParameters } from '../../../../lib/local/service';
import type { JsonValue } from '../../../../lib/local/service';

const pseudo: PseudoParameters = { region: 'eu-west-1', accountId: '000000000000', partition: 'aws', stackName: 'shop-dev', urlSuffix: 'amazonaws.com' };

/** Resources "created so far": a queue (Ref is its URL) and a bucket; KMS keys are not created locally. */
const lookup = {
  ref(logicalId: string): LookupResult {
    if (logicalId === 'Queue') return { value: 'http://localhost/000000000000/orders' };
    if (logicalId === 'Bucket') return { value: 'shop-dev-data' };
    return { unresolved: `${logicalId} is not created locally` };
  },
  getAtt(logicalId: string, attribute: string): LookupResult {
    if (logicalId === 'Queue' && attribute === 'Arn') return { value: 'arn:aws:sqs:eu-west-1:000000000000:orders' };
    if (logicalId === 'Bucket' && attribute === 'Arn') return { value: 'arn:aws:s3:::shop-dev-data' };
    return { unresolved: `${logicalId} has no attribute ${attribute}` };
  },
};

const conditions: Record<string, JsonValue> = {
  IsEuWest1: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] },
  IsProd: { 'Fn::Equals': ['dev', 'prod'] },
  IsEuDev: { 'Fn::And': [{ Condition: 'IsEuWest1' }, { 'Fn::Not': [{ Condition: 'IsProd' }] }] },
  IsEither: { 'Fn::Or': [{ Condition: 'IsProd' }, { Condition: 'IsEuWest1' }] },
};

const resolver = new IntrinsicResolver(pseudo, lookup, conditions);
const resolve = (value: JsonValue): JsonValue | undefined => resolver.resolve(value, 'Test');

describe('IntrinsicResolver', () => {
  test('Ref: pseudo parameters and resources', () => {
    expect(resolve({ Ref: 'AWS::Region' })).toBe('eu-west-1');
    expect(resolve({ Ref: 'AWS::AccountId' })).toBe('000000000000');
    expect(resolve({ Ref: 'AWS::Partition' })).toBe('aws');
    expect(resolve({ Ref: 'AWS::StackName' })).toBe('shop-dev');
    expect(resolve({ Ref: 'AWS::URLSuffix' })).toBe('amazonaws.com');
    expect(resolve({ Ref: 'Queue' })).toBe('http://localhost/000000000000/orders');
  });

  test('Fn::GetAtt in its list and dotted forms', () => {
    expect(resolve({ 'Fn::GetAtt': ['Queue', 'Arn'] })).toBe('arn:aws:sqs:eu-west-1:000000000000:orders');
    expect(resolve({ 'Fn::GetAtt': 'Bucket.Arn' })).toBe('arn:aws:s3:::shop-dev-data');
  });

  test('Fn::Sub: pseudo parameters, resource refs and attributes, escapes and its own variables', () => {
    expect(resolve({ 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' })).toBe('arn:aws:iam::000000000000:root');
    expect(resolve({ 'Fn::Sub': '${Bucket.Arn}/*' })).toBe('arn:aws:s3:::shop-dev-data/*');
    expect(resolve({ 'Fn::Sub': 's3://${Bucket}/${!literal}' })).toBe('s3://shop-dev-data/${literal}');
    expect(resolve({ 'Fn::Sub': ['${AWS::StackName}-${Kind}-${AWS::Region}', { Kind: { 'Fn::Join': ['', ['ev', 'ents']] } }] })).toBe('shop-dev-events-eu-west-1');
  });

  test('Fn::Join, Fn::Select and Fn::Split, nested', () => {
    expect(resolve({ 'Fn::Join': ['-', [{ Ref: 'AWS::StackName' }, 'q', 3]] })).toBe('shop-dev-q-3');
    expect(resolve({ 'Fn::Select': [1, { 'Fn::Split': [':', { 'Fn::GetAtt': ['Queue', 'Arn'] }] }] })).toBe('aws');
  });

  test('objects and lists are resolved deeply; AWS::NoValue removes the key or item', () => {
    expect(resolve({ a: { Ref: 'AWS::Region' }, b: { Ref: 'AWS::NoValue' }, c: [1, { Ref: 'AWS::NoValue' }, { Ref: 'Bucket' }] })).toEqual({
      a: 'eu-west-1',
      c: [1, 'shop-dev-data'],
    });
  });

  test('conditions and Fn::If', () => {
    expect(resolver.evaluateCondition('IsEuWest1')).toBe(true);
    expect(resolver.evaluateCondition('IsProd')).toBe(false);
    expect(resolver.evaluateCondition('IsEuDev')).toBe(true);
    expect(resolver.evaluateCondition('IsEither')).toBe(true);
    expect(resolve({ 'Fn::If': ['IsProd', 10, 1] })).toBe(1);
    expect(resolve({ x: { 'Fn::If': ['IsProd', 'big', { Ref: 'AWS::NoValue' }] } })).toEqual({});
  });

  test('typed reads: numbers and booleans from YAML strings', () => {
    expect(resolver.resolveNumber('42', 'N')).toBe(42);
    expect(resolver.resolveBoolean('true', 'B')).toBe(true);
    expect(resolver.resolveString(7, 'S')).toBe('7');
    expect(() => resolver.resolveNumber('many', 'Resources.S.Properties.ShardCount')).toThrow(/Resources\.S\.Properties\.ShardCount: expected a number/);
  });

  test.each([
    [{ 'Fn::ImportValue': 'shared-vpc' }, 'Fn::ImportValue is not supported locally'],
    [{ Ref: 'DataKey' }, 'DataKey is not created locally'],
    [{ 'Fn::GetAtt': ['Queue', 'QueueName'] }, 'Queue has no attribute QueueName'],
    [{ 'Fn::Sub': '${DataKey.Arn}' }, 'DataKey has no attribute Arn'],
    [{ Ref: 'AWS::NotificationARNs' }, 'the pseudo parameter AWS::NotificationARNs has no local value'],
    [{ 'Fn::If': ['Missing', 1, 2] }, 'no condition named "Missing"'],
  ])('%j cannot be resolved: a typed error naming where and why', (value, reason) => {
    let caught: unknown;
    try {
      resolver.resolve({ Name: value }, 'Resources.R.Properties');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UnresolvableIntrinsicError);
    const error = caught as UnresolvableIntrinsicError;
    expect(error.name).toBe('UnresolvableIntrinsicError');
    expect(error.path).toMatch(/^(Resources\.R\.Properties\.Name|Conditions\.Missing)/);
    expect(error.reason).toContain(reason);
  });
});

describe('referencedLogicalIds', () => {
  test('finds resources named by Ref, Fn::GetAtt (both forms) and Fn::Sub, not pseudo parameters, escapes or Sub variables', () => {
    const value: JsonValue = {
      a: { Ref: 'Queue' },
      b: { 'Fn::GetAtt': ['Dlq', 'Arn'] },
      c: { 'Fn::GetAtt': 'Table.StreamArn' },
      d: { 'Fn::Sub': ['${Bucket.Arn}/${AWS::Region}/${!Escaped}/${Own}', { Own: { Ref: 'Stream' } }] },
      e: [{ Ref: 'AWS::AccountId' }],
    };
    expect([...referencedLogicalIds(value)].sort()).toEqual(['Bucket', 'Dlq', 'Queue', 'Stream', 'Table']);
  });
});
