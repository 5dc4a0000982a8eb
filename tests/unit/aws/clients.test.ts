/** The client factory: endpoints from config or the SDK's standard variables, with emulator settings. */
import { createAwsClients, endpointsFromEnvironment } from '../../../lib/aws/clients';

describe('endpointsFromEnvironment', () => {
  it('prefers the per-service variable, falls back to AWS_ENDPOINT_URL, and leaves the rest to the SDK', () => {
    expect(endpointsFromEnvironment({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1', AWS_ENDPOINT_URL: 'http://127.0.0.1:2' })).toEqual({
      firehose: 'http://127.0.0.1:2', kinesis: 'http://127.0.0.1:2', s3: 'http://127.0.0.1:1', sqs: 'http://127.0.0.1:2', dynamodb: 'http://127.0.0.1:2',
    });
    expect(endpointsFromEnvironment({})).toEqual({});
  });
});

describe('createAwsClients', () => {
  it('gives S3 path-style addressing when pointed at an emulator', async () => {
    const clients = createAwsClients({ region: 'eu-west-1', endpoints: { s3: 'http://127.0.0.1:9' } });
    expect(clients.s3().config.forcePathStyle).toBe(true);
    expect(clients.s3()).toBe(clients.s3());
    const endpoint = await clients.s3().config.endpoint!();
    expect(endpoint.hostname).toBe('127.0.0.1');
    expect(createAwsClients({ region: 'eu-west-1', endpoints: {} }).s3().config.forcePathStyle).toBe(false);
  });
});
