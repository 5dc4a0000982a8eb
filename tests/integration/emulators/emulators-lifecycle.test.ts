/** startEmulators: subsets, free ports, isolation, and stop() leaving no server and no JVM behind. */
import { createConnection } from 'node:net';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { startEmulators } from '../../../lib/local/emulators';
import { EMULATOR_START_TIMEOUT_MS } from '../../support/emulators';

/** True when something accepts TCP connections at the endpoint. */
function isListening(endpoint: string): Promise<boolean> {
  const { hostname, port } = new URL(endpoint);
  return new Promise((answer) => {
    const socket = createConnection({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      answer(true);
    });
    socket.once('error', () => answer(false));
  });
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

test('a subset (kinesis, s3) starts without Java, on loopback ports, and stop() closes them', async () => {
  const emulators = await startEmulators({ services: ['kinesis', 's3'] });
  try {
    expect(Object.keys(emulators.endpoints).sort()).toEqual(['kinesis', 's3']);
    expect(emulators.endpoints.kinesis).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emulators.childProcessIds).toEqual([]);
    expect(emulators.clientConfig).toMatchObject({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    await expect(emulators.clients.kinesis().send(new ListStreamsCommand({}))).resolves.toMatchObject({ StreamNames: [] });
    await expect(emulators.clients.s3().send(new ListBucketsCommand({}))).resolves.toBeDefined();
  } finally {
    await emulators.stop();
  }
  expect(await isListening(emulators.endpoints.kinesis)).toBe(false);
  expect(await isListening(emulators.endpoints.s3)).toBe(false);
  await expect(emulators.stop()).resolves.toBeUndefined(); // twice is fine
});

test('two sets side by side get their own ports and their own data', async () => {
  const [a, b] = await Promise.all([startEmulators({ services: ['kinesis'] }), startEmulators({ services: ['kinesis'] })]);
  try {
    expect(a.endpoints.kinesis).not.toBe(b.endpoints.kinesis);
    await a.clients.kinesis().send(new CreateStreamCommand({ StreamName: 'only-in-a', ShardCount: 1 }));
    expect((await a.clients.kinesis().send(new ListStreamsCommand({}))).StreamNames).toEqual(['only-in-a']);
    expect((await b.clients.kinesis().send(new ListStreamsCommand({}))).StreamNames).toEqual([]);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

test(
  'DynamoDB Local answers once started, and stop() ends its JVM (no orphan)',
  async () => {
    const emulators = await startEmulators({ services: ['dynamodb'] });
    const [pid] = emulators.childProcessIds;
    try {
      expect(pid).toEqual(expect.any(Number));
      expect(processExists(pid!)).toBe(true);
      await expect(emulators.clients.dynamodb().send(new ListTablesCommand({}))).resolves.toMatchObject({ TableNames: [] });
    } finally {
      await emulators.stop();
    }
    expect(processExists(pid!)).toBe(false);
    expect(await isListening(emulators.endpoints.dynamodb)).toBe(false);
  },
  EMULATOR_START_TIMEOUT_MS,
);
