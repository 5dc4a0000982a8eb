/**
 * Which open shard owns a hash key, from `ListShards`. The producer uses it to aggregate user
 * records per shard; a success reported on another shard than planned means the stream was
 * resharded, and the map is refreshed.
 */
import { ListShardsCommand, type KinesisClient, type ListShardsCommandInput, type Shard } from '@aws-sdk/client-kinesis';

/** An open shard and its inclusive hash key range. */
export interface ShardRange {
  readonly shardId: string;
  readonly startingHashKey: bigint;
  readonly endingHashKey: bigint;
}

/** The stream a map describes: `streamName`, and `streamArn` when known (cross-account access needs it). */
export interface StreamRef {
  readonly streamName: string;
  readonly streamArn?: string | undefined;
}

/** `ListShards` returned a shard without the fields a map needs. */
export class ShardMapError extends Error {
  override readonly name = 'ShardMapError';
}

/** Every open shard of the stream: `ListShards` page by page, open ones only. */
export async function listOpenShards(client: KinesisClient, stream: StreamRef): Promise<ShardRange[]> {
  const shards: ShardRange[] = [];
  let nextToken: string | undefined;
  do {
    // With NextToken, AWS refuses StreamName and the filters: the token carries them.
    const input: ListShardsCommandInput = nextToken
      ? { NextToken: nextToken }
      : { StreamName: stream.streamName, ...(stream.streamArn ? { StreamARN: stream.streamArn } : {}), ShardFilter: { Type: 'AT_LATEST' } };
    const page = await client.send(new ListShardsCommand(input));
    // Also filtered here: emulators (kinesalite) ignore ShardFilter and list closed shards too.
    for (const shard of page.Shards ?? []) if (isOpen(shard)) shards.push(toRange(shard));
    nextToken = page.NextToken;
  } while (nextToken);
  return shards.sort((a, b) => (a.startingHashKey < b.startingHashKey ? -1 : a.startingHashKey > b.startingHashKey ? 1 : 0));
}

const isOpen = (shard: Shard): boolean => shard.SequenceNumberRange?.EndingSequenceNumber === undefined;

function toRange(shard: Shard): ShardRange {
  const { ShardId, HashKeyRange } = shard;
  if (!ShardId || !HashKeyRange?.StartingHashKey || !HashKeyRange.EndingHashKey) throw new ShardMapError(`ListShards returned a shard without id or hash key range: ${JSON.stringify(shard)}`);
  return { shardId: ShardId, startingHashKey: BigInt(HashKeyRange.StartingHashKey), endingHashKey: BigInt(HashKeyRange.EndingHashKey) };
}

/** Finds the range holding `hashKey` in ranges sorted by starting key (binary search). */
function findRange(ranges: readonly ShardRange[], hashKey: bigint): ShardRange | undefined {
  let low = 0;
  let high = ranges.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const range = ranges[mid]!;
    if (hashKey < range.startingHashKey) high = mid - 1;
    else if (hashKey > range.endingHashKey) low = mid + 1;
    else return range;
  }
  return undefined;
}

/** The open shards of a stream by hash key range, refreshable. */
export class ShardMap {
  private ranges: readonly ShardRange[];
  private refreshing: Promise<void> | undefined;
  private refreshCount = 0;

  private constructor(
    private readonly client: KinesisClient,
    private readonly stream: StreamRef,
    ranges: readonly ShardRange[],
  ) {
    this.ranges = ranges;
  }

  /** Lists the stream's open shards and returns their map. */
  static async load(client: KinesisClient, stream: StreamRef): Promise<ShardMap> {
    return new ShardMap(client, stream, await listOpenShards(client, stream));
  }

  /** The open shards, sorted by starting hash key. */
  get shards(): readonly ShardRange[] {
    return this.ranges;
  }

  /** How many times the map was refreshed since it was loaded. */
  get refreshes(): number {
    return this.refreshCount;
  }

  /**
   * The open shard whose range holds `hashKey`; `undefined` only if the listing had a gap (open
   * shards normally cover 0…2^128−1, as a split or merge closes parents and opens children at once).
   */
  shardFor(hashKey: bigint): ShardRange | undefined {
    return findRange(this.ranges, hashKey);
  }

  /** Lists the shards again. Concurrent calls share one `ListShards` run. */
  refresh(): Promise<void> {
    this.refreshing ??= listOpenShards(this.client, this.stream)
      .then((ranges) => {
        this.ranges = ranges;
        this.refreshCount++;
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }
}
