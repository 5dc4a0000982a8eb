/** Running the service's functions in-process the way Lambda does. */
import { join } from 'node:path';
import event from '../../../../events/firehose-csv-to-json.json';
import { functionLogicalId, LocalFunctions, UnknownFunctionError } from '../../../../lib/local/lambda/local-functions';

const ROOT = join(__dirname, '..', '..', '..', '..');
const service = {
  service: 'shardline',
  provider: { stage: 'test', region: 'eu-west-1', environment: { SHARED: 'provider' } },
  functions: { firehoseCsvToJson: { handler: 'functions/firehose-csv-to-json.handler', environment: { SCHEMA_NAME: 'clickstream' }, timeout: 60 } },
};

describe('LocalFunctions', () => {
  const functions = new LocalFunctions(service, ROOT, { AWS_ENDPOINT_URL_FIREHOSE: 'http://127.0.0.1:1' });

  it('names functions as Serverless deploys them', () => {
    expect(functions.nameOf('firehoseCsvToJson')).toBe('shardline-test-firehoseCsvToJson');
    expect(functions.arnOf('firehoseCsvToJson')).toBe('arn:aws:lambda:eu-west-1:000000000000:function:shardline-test-firehoseCsvToJson');
    expect(functionLogicalId('firehoseCsvToJson')).toBe('FirehoseCsvToJsonLambdaFunction');
    expect(functionLogicalId('my-func_x')).toBe('MyDashfuncUnderscorexLambdaFunction');
  });

  it('finds a function by key, logical id, name or (qualified) ARN', () => {
    for (const reference of ['firehoseCsvToJson', 'FirehoseCsvToJsonLambdaFunction', 'shardline-test-firehoseCsvToJson', `${functions.arnOf('firehoseCsvToJson')}:$LATEST`]) {
      expect(functions.keyOf(reference)).toBe('firehoseCsvToJson');
    }
    expect(() => functions.keyOf('nope')).toThrow(UnknownFunctionError);
  });

  it('invokes the handler module named in the definition with its environment', async () => {
    const response = (await functions.invoke('firehoseCsvToJson', event)) as { records: { recordId: string; result: string }[] };
    expect(response.records.map((r) => r.recordId)).toEqual(event.records.map((r) => r.recordId));
    expect(response.records.map((r) => r.result)).toEqual(['Ok', 'Ok', 'Ok', 'Ok', 'Dropped', 'ProcessingFailed', 'ProcessingFailed', 'Ok']);
    expect(process.env.SHARED).toBe('provider');
    expect(process.env.AWS_LAMBDA_FUNCTION_NAME).toBe('shardline-test-firehoseCsvToJson');
    expect(process.env.AWS_ENDPOINT_URL_FIREHOSE).toBe('http://127.0.0.1:1');
  });
});
