/** Kinesis Data Streams, emulated in-process by kinesalite (in memory). */
import type { AddressInfo } from 'node:net';
import kinesalite from 'kinesalite';
import { EmulatorStartError } from './errors';
import { LOOPBACK_HOST } from './free-port';
import type { RunningEmulator } from './running-emulator';

/** Options of {@link startKinesalite}. */
export interface KinesaliteStartOptions {
  /** Shards allowed across all streams; AWS's default account limit is far higher than kinesalite's 10. */
  readonly shardLimit?: number;
  /** The region in the ARNs it gives streams. Default eu-west-1. */
  readonly region?: string;
}

/**
 * kinesalite reads the region of its ARNs from `AWS_REGION` (else us-east-1) when its store is
 * made, and has no option for it: set it just for that synchronous call, then put it back.
 */
function withKinesaliteRegion<T>(region: string, make: () => T): T {
  const saved = process.env.AWS_REGION;
  process.env.AWS_REGION = region;
  try {
    return make();
  } finally {
    if (saved === undefined) delete process.env.AWS_REGION;
    else process.env.AWS_REGION = saved;
  }
}

/**
 * Starts kinesalite on a free loopback port. Streams become ACTIVE at once (no CREATING delay).
 * The SDK's Kinesis client must use an HTTP/1.1 handler with it (see `createAwsClients`).
 */
export async function startKinesalite(options: KinesaliteStartOptions = {}): Promise<RunningEmulator> {
  const server = withKinesaliteRegion(options.region ?? 'eu-west-1', () =>
    kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: options.shardLimit ?? 100 }),
  );
  try {
    await new Promise<void>((listening, failed) => {
      server.once('error', failed);
      server.listen(0, LOOPBACK_HOST, () => {
        server.off('error', failed);
        listening();
      });
    });
  } catch (error) {
    throw new EmulatorStartError('kinesis', `kinesalite did not listen: ${(error as Error).message}`, { cause: error });
  }
  const { port } = server.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://${LOOPBACK_HOST}:${port}`,
    port,
    stop: () =>
      (stopping ??= new Promise<void>((closed, failed) => {
        // Keep-alive sockets of SDK clients would hold close() open until they time out.
        server.close((error) => (error ? failed(error) : closed()));
        server.closeAllConnections();
      })),
  };
}
