/** The REAL serverless.yml, read through `serverless print`, and its declared resources created in the emulators. */
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { startEmulators, type EmulatedService, type Emulators } from '../../../lib/local/emulators';
import {
  createDeclaredResources,
  loadServiceDefinition,
  planServiceResources,
  servicesNeededBy,
  type DeclaredResources,
  type ServiceDefinition,
} from '../../../lib/local/service';
import { EMULATOR_START_TIMEOUT_MS } from '../../support/emulators';

const STAGE = 'emulators';
let service: ServiceDefinition;
let emulators: Emulators | undefined;
let created: DeclaredResources;

beforeAll(async () => {
  service = await loadServiceDefinition({ stage: STAGE });
  // Only the emulators its resources need (no JVM while it declares no table).
  emulators = await startEmulators<EmulatedService>({ services: servicesNeededBy(planServiceResources(service)) });
  created = await createDeclaredResources(service, emulators.clients);
}, EMULATOR_START_TIMEOUT_MS + 60_000);

afterAll(async () => {
  await emulators?.stop();
});

test('serverless print resolves the definition for the stage, once per process', async () => {
  expect(service.service).toBe('shardline');
  expect(service.provider.stage).toBe(STAGE);
  expect(service.resources?.Resources?.DataBucket?.Type).toBe('AWS::S3::Bucket');
  await expect(loadServiceDefinition({ stage: STAGE })).resolves.toBe(service);
});

test('the data bucket is created with the name serverless.yml gives it, and exists', async () => {
  expect(created.resources.DataBucket).toMatchObject({
    type: 'AWS::S3::Bucket',
    name: `shardline-${STAGE}-data-eu-west-1`,
    arn: `arn:aws:s3:::shardline-${STAGE}-data-eu-west-1`,
    status: 'created',
  });
  await expect(emulators!.clients.s3().send(new HeadBucketCommand({ Bucket: `shardline-${STAGE}-data-eu-west-1` }))).resolves.toBeDefined();
});

test('every other declared resource is either created or reported as skipped with its type', () => {
  const declared = Object.entries(service.resources?.Resources ?? {});
  const skipped = new Map(created.skipped.map((s) => [s.logicalId, s.type]));
  for (const [logicalId, resource] of declared) {
    expect(created.resources[logicalId]?.type ?? skipped.get(logicalId)).toBe(resource.Type);
  }
  expect(skipped.get('DataKey')).toBe('AWS::KMS::Key');
  expect(skipped.get('ClickstreamDeliveryStream')).toBe('AWS::KinesisFirehose::DeliveryStream');
});

test('creating the real definition again against the same emulators works: everything exists', async () => {
  const again = await createDeclaredResources(service, emulators!.clients);
  expect(Object.keys(again.resources).sort()).toEqual(Object.keys(created.resources).sort());
  for (const [logicalId, first] of Object.entries(created.resources)) {
    expect(again.resources[logicalId]).toMatchObject({ status: 'existed', name: first.name, arn: first.arn, ref: first.ref });
  }
}, 60_000);
