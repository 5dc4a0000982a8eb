/**
 * `npm run sqs`: operations on SQS queues for when things go wrong.
 *
 *   inspect <queue>   approximate counts (visible, in flight, delayed) of the queue and of the DLQ
 *                     its redrive policy names, the queues feeding it when it is a DLQ, and with
 *                     --peek a sample of messages and the age of the oldest one sampled.
 *   redrive <dlq>     moves messages from a dead-letter queue back to its source queue (or --to),
 *                     with --dry-run, --max and a progress bar.
 *
 * Queues are named by name, URL or ARN. With --local, an embedded fauxqs is started and seeded
 * with a demo queue whose messages were dead-lettered (some with payloads in S3), so both commands
 * run anywhere.
 *
 * Exit codes: 0 done; 1 some messages could not be moved; 2 bad usage or a queue not found.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { Presets, SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import { Command, Option } from 'commander';
import { createAwsClients, type AwsClients } from '../aws/clients';
import { startEmulators, type Emulators } from '../local/emulators';
import { SqsSender } from '../sqs/sender';
import {
  AmbiguousSourceQueueError,
  inspectQueue,
  NoSourceQueueError,
  QueueNotFoundError,
  readQueueState,
  redrive,
  RedriveQueueTypeMismatchError,
  type PeekedMessage,
  type QueueFigures,
  type QueueInspection,
  type RedriveMethod,
  type RedriveReport,
} from '../sqs/operations';
import { UsageError, nonNegativeInt, positiveInt } from './arguments';

interface CommonOptions {
  readonly endpoint?: string;
  readonly region?: string;
  readonly local?: number | true;
  readonly json?: boolean;
  readonly peek?: number | true;
}

interface RedriveCliOptions extends CommonOptions {
  readonly to?: string;
  readonly dryRun?: boolean;
  readonly max?: number;
  readonly method: RedriveMethod;
  readonly keepDedupIds?: boolean;
  readonly visibilityTimeout: number;
  readonly wait: number;
}

const DEFAULT_PEEK = 5;
const LOCAL_QUEUE = 'shardline-local-orders';
const LOCAL_BUCKET = 'shardline-local-sqs-payloads';
const PEEK_NOTE =
  'peeking receives with VisibilityTimeout 0: nothing is consumed, but each sampled message’s ApproximateReceiveCount goes up by one ' +
  '(on a queue with a redrive policy that brings it closer to the DLQ)';
const AGE_NOTE = 'ApproximateAgeOfOldestMessage is a CloudWatch metric, not a queue attribute: the age shown is that of the oldest message sampled (a lower bound)';

const peekCount = (peek: number | true | undefined): number => (peek === undefined ? 0 : peek === true ? DEFAULT_PEEK : peek);

/** The demo pair for --local: `<source>` dead-lettering into `<source>-dlq` (suffix kept for FIFO). */
function localNames(queueArgument: string | undefined, argumentIsDlq: boolean): { source: string; dlq: string } {
  const name = queueArgument ?? (argumentIsDlq ? `${LOCAL_QUEUE}-dlq` : LOCAL_QUEUE);
  const fifo = name.endsWith('.fifo');
  const bare = fifo ? name.slice(0, -'.fifo'.length) : name;
  const suffix = fifo ? '.fifo' : '';
  if (argumentIsDlq) {
    const source = bare.endsWith('-dlq') ? bare.slice(0, -'-dlq'.length) : `${bare}-source`;
    return { source: source + suffix, dlq: name };
  }
  return { source: name, dlq: `${bare}-dlq${suffix}` };
}

/**
 * Creates the demo pair and dead-letters `count` orders through the source queue's own redrive
 * policy (every tenth order is 1.2 MB, so it travels as an Extended Client pointer to S3).
 */
async function seedLocalDemo(clients: AwsClients, names: { source: string; dlq: string }, count: number): Promise<void> {
  const sqs = clients.sqs();
  const fifo = names.source.endsWith('.fifo');
  const fifoAttributes: Record<string, string> = fifo ? { FifoQueue: 'true', ContentBasedDeduplication: 'true' } : {};
  await clients.s3().send(new CreateBucketCommand({ Bucket: LOCAL_BUCKET }));
  const { QueueUrl: dlqUrl } = await sqs.send(new CreateQueueCommand({ QueueName: names.dlq, Attributes: { ...fifoAttributes, MessageRetentionPeriod: '1209600' } }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
  const { QueueUrl: sourceUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: names.source,
      Attributes: { ...fifoAttributes, RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount: 1 }) },
    }),
  );
  const sender = await SqsSender.forQueue(sqs, sourceUrl!, { payloadOffloading: { s3: clients.s3(), bucket: LOCAL_BUCKET } });
  const report = await sender.send(
    Array.from({ length: count }, (_, i) => ({
      body: JSON.stringify({ orderId: `ord-${String(i).padStart(5, '0')}`, amount: (i * 7.31) % 500, ...(i % 10 === 9 ? { attachment: 'x'.repeat(1_200_000) } : {}) }),
      attributes: { eventType: { DataType: 'String', StringValue: 'OrderPlaced' } },
      ...(fifo ? { groupId: `customer-${i % 4}` } : {}),
    })),
  );
  if (report.failed.length > 0) throw new Error(`seeding the local demo: ${report.failed.length} messages not sent (${report.failed[0]!.code})`);
  // A poison consumer: receive without deleting until every message passed maxReceiveCount.
  for (let i = 0; i < 10_000; i++) {
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: sourceUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
    const { counts } = await readQueueState(sqs, sourceUrl!);
    if (counts.visible + counts.inFlight === 0) return;
  }
}

async function withClients<T>(options: CommonOptions, seed: ((clients: AwsClients) => Promise<void>) | undefined, run: (sqs: SQSClient) => Promise<T>): Promise<T> {
  let emulators: Emulators<'sqs' | 's3'> | undefined;
  try {
    if (options.local !== undefined) {
      emulators = await startEmulators({ services: ['sqs', 's3'] });
      await seed?.(emulators.clients);
    }
    const clients =
      emulators?.clients ??
      createAwsClients({ ...(options.region ? { region: options.region } : {}), ...(options.endpoint ? { endpoints: { sqs: options.endpoint } } : {}) });
    return await run(clients.sqs());
  } finally {
    await emulators?.stop();
  }
}

const formatAge = (seconds: number | undefined): string => {
  if (seconds === undefined) return '–';
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
};

function figuresRow(role: string, f: QueueFigures, note: string): (string | number)[] {
  const { queue } = f;
  return [role, queue.name, queue.fifo ? 'FIFO' : 'standard', queue.counts.visible, queue.counts.inFlight, queue.counts.delayed, f.sample ? formatAge(f.oldestSampledAgeSeconds) : 'n/a (--peek)', note];
}

function sampleTable(rows: readonly { queue: string; message: PeekedMessage }[]): string {
  const table = new Table({ head: ['queue', 'message id', 'sent (UTC)', 'receives', 'group', 'bytes', 'body'], colAligns: ['left', 'left', 'left', 'right', 'left', 'right', 'left'] });
  for (const { queue, message } of rows) {
    const body = message.payloadPointer
      ? `→ s3://${message.payloadPointer.s3BucketName}/${message.payloadPointer.s3Key}`
      : message.body.length > 60
        ? `${message.body.slice(0, 57)}…`
        : message.body;
    table.push([queue, message.messageId, message.sentAt?.toISOString().replace('T', ' ').slice(0, 19) ?? '–', message.receiveCount ?? '–', message.groupId ?? '', message.bodyBytes, body]);
  }
  return table.toString();
}

function printInspection(inspection: QueueInspection): void {
  const table = new Table({ head: ['', 'queue', 'type', 'visible', 'in flight', 'delayed', 'oldest (sampled)', ''], colAligns: ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'left'] });
  const policy = inspection.queue.redrivePolicy;
  table.push(figuresRow('queue', inspection, policy ? `maxReceiveCount ${policy.maxReceiveCount}` : 'no redrive policy'));
  const dlq = inspection.deadLetterQueue;
  if (dlq && 'queue' in dlq) table.push(figuresRow('its DLQ', dlq, ''));
  console.log(table.toString());
  if (dlq && 'error' in dlq) console.log(`its DLQ ${dlq.arn} could not be read: ${dlq.error}`);
  if (inspection.sourceQueues) console.log(`dead-letter queue of: ${inspection.sourceQueues.urls.join(', ')} (found by ${inspection.sourceQueues.via})`);
  const samples = [
    ...(inspection.sample ?? []).map((message) => ({ queue: inspection.queue.name, message })),
    ...(dlq && 'queue' in dlq ? (dlq.sample ?? []).map((message) => ({ queue: dlq.queue.name, message })) : []),
  ];
  if (inspection.sample !== undefined) {
    console.log(samples.length > 0 ? sampleTable(samples) : 'no message sampled (the queues are empty, or SQS sampled none)');
    console.log(`note: ${PEEK_NOTE}`);
  }
  console.log(`note: ${AGE_NOTE}`);
}

async function runInspect(queue: string | undefined, options: CommonOptions): Promise<number> {
  if (queue === undefined && options.local === undefined) throw new UsageError('name a queue (name, URL or ARN), or pass --local');
  const names = localNames(queue, false);
  const seed = options.local === undefined ? undefined : (clients: AwsClients) => seedLocalDemo(clients, names, options.local === true ? 25 : options.local!);
  const inspection = await withClients(options, seed, (sqs) => inspectQueue(sqs, queue ?? names.source, { peek: peekCount(options.peek) }));
  if (options.json) console.log(JSON.stringify(inspection, null, 2));
  else printInspection(inspection);
  return 0;
}

function printRedrive(report: RedriveReport, seconds: number): void {
  const { deadLetterQueue: dlq } = report;
  const summary = new Table({ colAligns: ['left', 'right'] });
  summary.push(
    ['dead-letter queue', dlq.name],
    ['destination', `${report.destination.url} (${report.destination.via === 'option' ? '--to' : `found by ${report.destination.via}`})`],
    ['DLQ before: visible / in flight / delayed', `${dlq.counts.visible} / ${dlq.counts.inFlight} / ${dlq.counts.delayed}`],
    ['method', report.method],
  );
  if (report.method === 'dry-run') {
    summary.push(['would move (approximate)', report.wouldMove ?? 0]);
  } else {
    summary.push(
      ['moved', report.moved],
      ['not moved (left in the DLQ)', report.failed.filter((f) => f.stage !== 'delete').length],
      ['moved but not deleted from the DLQ (in both)', report.duplicated],
      ['requests: receive / send / delete', `${report.requests.receive} / ${report.requests.send} / ${report.requests.delete}`],
      ['seconds', seconds.toFixed(2)],
      ['messages/s', seconds > 0 ? (report.moved / seconds).toFixed(0) : '–'],
    );
    if (report.task) summary.push(['move task status', `${report.task.status}${report.task.failureReason ? `: ${report.task.failureReason}` : ''}`]);
  }
  console.log(summary.toString());
  if (report.sample) {
    console.log(report.sample.length > 0 ? sampleTable(report.sample.map((message) => ({ queue: dlq.name, message }))) : 'no message sampled');
    console.log(`note: ${PEEK_NOTE}`);
  } else if (report.method === 'dry-run') {
    console.log('pass --peek to sample the messages that would move');
  }
  if (report.failed.length > 0) {
    const byCode = new Map<string, number>();
    for (const f of report.failed) byCode.set(`${f.stage}: ${f.code}`, (byCode.get(`${f.stage}: ${f.code}`) ?? 0) + 1);
    const failures = new Table({ head: ['failure', 'messages'], colAligns: ['left', 'right'] });
    for (const [code, n] of byCode) failures.push([code, n]);
    console.log(failures.toString());
  }
}

async function runRedrive(dlq: string | undefined, options: RedriveCliOptions): Promise<number> {
  if (dlq === undefined && options.local === undefined) throw new UsageError('name the dead-letter queue (name, URL or ARN), or pass --local');
  if (options.method === 'message-move-task' && options.max !== undefined) throw new UsageError('a message move task moves every message: --max needs --method receive-send-delete (or auto)');
  const names = localNames(dlq, true);
  const seed = options.local === undefined ? undefined : (clients: AwsClients) => seedLocalDemo(clients, names, options.local === true ? 25 : options.local!);
  const bar = new SingleBar({ format: '{bar} {value}/{total} moved | failed {failed}', stream: process.stderr, noTTYOutput: true, notTTYSchedule: 2000 }, Presets.shades_classic);
  let barStarted = false;
  let started = 0;
  let report: RedriveReport;
  try {
    report = await withClients(options, seed, (sqs) => {
      started = performance.now(); // after the emulator started and the demo was seeded
      return redrive(sqs, {
        deadLetterQueue: dlq ?? names.dlq,
        ...(options.to === undefined ? {} : { destination: options.to }),
        dryRun: options.dryRun === true,
        ...(options.max === undefined ? {} : { maxMessages: options.max }),
        method: options.method,
        peek: peekCount(options.peek),
        visibilityTimeoutSeconds: options.visibilityTimeout,
        waitTimeSeconds: options.wait,
        fifoDeduplication: options.keepDedupIds ? 'original' : 'per-redrive',
        onProgress: (p) => {
          if (options.json) return;
          if (!barStarted) {
            bar.start(p.total ?? p.moved, 0, { failed: 0 });
            barStarted = true;
          }
          if (p.total !== undefined && p.total < p.moved) bar.setTotal(p.moved);
          bar.update(p.moved, { failed: p.failed });
        },
      });
    });
  } finally {
    if (barStarted) bar.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  if (options.json) console.log(JSON.stringify(report, null, 2));
  else printRedrive(report, seconds);
  return report.failed.length > 0 ? 1 : 0;
}

const commonOptions = (command: Command): Command =>
  command
    .option('--endpoint <url>', 'SQS endpoint (default: AWS_ENDPOINT_URL_SQS, else AWS)')
    .option('--region <region>', 'AWS region (default: the SDK’s)')
    .option('--local [messages]', 'start an embedded fauxqs, seed a demo queue whose messages (default 25) were dead-lettered, and run against it', positiveInt)
    .option('--json', 'print the result as JSON');

const program = new Command('sqs').description('Inspect SQS queues and their dead-letter queues; redrive dead-lettered messages');

commonOptions(
  program
    .command('inspect')
    .description('approximate counts of a queue and of its DLQ (from the redrive policy), the queues feeding it, and with --peek a sample')
    .argument('[queue]', 'queue name, URL or ARN (default with --local: the demo queue)')
    .option('--peek [n]', `sample n messages of the queue and of its DLQ (default ${DEFAULT_PEEK}) — adds 1 to their receive counts`, nonNegativeInt),
).action(async (queue: string | undefined, options: CommonOptions) => {
  process.exitCode = await runInspect(queue, options);
});

commonOptions(
  program
    .command('redrive')
    .description('move messages from a dead-letter queue back to its source queue (or --to)')
    .argument('[dlq]', 'dead-letter queue name, URL or ARN (default with --local: the demo DLQ)')
    .option('--to <queue>', 'destination queue (default: the one queue whose redrive policy names the DLQ)')
    .option('--dry-run', 'count (and with --peek sample) what would move; move nothing')
    .option('--max <n>', 'move at most n messages (uses receive → send → delete)', positiveInt)
    .option('--peek [n]', `with --dry-run: sample n messages (default ${DEFAULT_PEEK}) — adds 1 to their receive counts`, nonNegativeInt)
    .addOption(new Option('--method <method>', 'how to move: SQS message move task, or receive → send → delete here').choices(['auto', 'message-move-task', 'receive-send-delete']).default('auto'))
    .option('--keep-dedup-ids', 'FIFO: resend with the original MessageDeduplicationId (SQS drops it as a duplicate within 5 minutes of the original send)')
    .option('--visibility-timeout <s>', 'receive → send → delete: seconds a received DLQ message stays hidden while moved', positiveInt, 60)
    .option('--wait <s>', 'receive → send → delete: long-poll seconds before concluding the DLQ is empty', nonNegativeInt, 2),
).action(async (dlq: string | undefined, options: RedriveCliOptions) => {
  process.exitCode = await runRedrive(dlq, options);
});

const USAGE_ERRORS = [UsageError, QueueNotFoundError, NoSourceQueueError, AmbiguousSourceQueueError, RedriveQueueTypeMismatchError];

program.parseAsync().catch((error: unknown) => {
  if (USAGE_ERRORS.some((type) => error instanceof type) || error instanceof RangeError) {
    console.error(`sqs: ${(error as Error).message}`);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
