/**
 * Test-only types for `aws-kinesis-agg` 4.2.8, the reference codec our KPL tests and benchmark
 * compare against. Its own `index.d.ts` imports the v2 `aws-sdk` (not installed) and omits
 * `RecordAggregator`; this ambient declaration, which TypeScript prefers to the package's file,
 * describes only what the tests and the benchmark use.
 */
declare module 'aws-kinesis-agg' {
  /** A user record as aws-kinesis-agg's de-aggregation gives it (v2 field names, base64 data). */
  export interface DeaggregatedUserRecord {
    partitionKey: string;
    /** Beware: set from table entry 0 even for user records without an explicit hash key index. */
    explicitPartitionKey?: string;
    sequenceNumber: string;
    subSequenceNumber?: number;
    /** Base64. */
    data: string;
  }

  /** A Kinesis record in the v2 SDK / Lambda event shape: lower-case names, base64 data. */
  export interface KinesisRecordV2 {
    partitionKey: string;
    explicitPartitionKey?: string;
    sequenceNumber: string;
    /** Base64. */
    data: string;
  }

  export function deaggregateSync(
    kinesisRecord: KinesisRecordV2,
    computeChecksums: boolean,
    afterRecordCallback: (error: Error | null | undefined, userRecords?: DeaggregatedUserRecord[]) => void,
  ): void;

  /** A user record to aggregate (mutated: string data becomes a Buffer). */
  export interface AggregatorInput {
    partitionKey: string;
    explicitHashKey?: string;
    data: Buffer | string;
  }

  /** An aggregated Kinesis record; the outer keys are the first user record's. */
  export interface EncodedRecord {
    partitionKey: string;
    ExplicitHashKey?: string;
    data: Buffer;
  }

  /** Accumulates user records up to ≈ 1 MiB. */
  export class RecordAggregator {
    constructor(onReadyCallback?: (error: Error | null, encoded?: EncodedRecord) => void);
    /** Throws when the record does not fit. */
    addUserRecord(record: AggregatorInput): void;
    checkIfUserRecordFits(record: AggregatorInput): boolean;
    /** `undefined` when empty. */
    build(): EncodedRecord | undefined;
    length(): number;
  }
}
