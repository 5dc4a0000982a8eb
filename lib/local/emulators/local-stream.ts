/** A stream in a local Kinesis emulator, for the commands' `--local` mode. */
import { CreateStreamCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import type { KinesisClient } from '@aws-sdk/client-kinesis';

/** Creates the stream and waits until it is ACTIVE (kinesalite takes a moment). */
export async function createLocalStream(kinesis: KinesisClient, streamName: string, shards: number): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shards }));
  for (let i = 0; i < 600; i++) {
    const { StreamDescriptionSummary: summary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (summary?.StreamStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`stream ${streamName} did not become ACTIVE`);
}
