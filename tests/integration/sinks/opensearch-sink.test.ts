/**
 * The OpenSearch sink against the local OpenSearch emulator, through the real client: the index
 * template computed from the schema, generated telemetry written to daily indices, replays that
 * change nothing, documents the strict mapping refuses, injected throttling and failures, a
 * domain that only takes small requests, and SigV4-signed requests checked against credentials.
 */
import type { Client } from '@opensearch-project/opensearch';
import { generateTelemetry } from '../../../lib/datasets/telemetry';
import type { LocalOpenSearch } from '../../../lib/local/opensearch';
import { startOpenSearchEmulator } from '../../../lib/local/opensearch';
import { openSearchMappingOf } from '../../../lib/schemas/opensearch-mapping';
import { getSchema } from '../../../lib/schemas/registry';
import type { OpenSearchBulkSinkOptions, OpenSearchClientConfig } from '../../../lib/sinks/opensearch';
import { createOpenSearchClient, ensureIndexTemplate, OpenSearchBulkSink, OpenSearchRequestRejectedError } from '../../../lib/sinks/opensearch';
import { TELEMETRY_TEMPLATE_NAME, telemetryDocumentId, telemetryDocumentOf, telemetryIndexOf, telemetryIndexTemplate } from '../../../lib/sinks/opensearch/telemetry';
import type { SinkItem } from '../../../lib/sinks/sink';
import type { Reading } from '../../../lib/telemetry/reading';
import { parseReading } from '../../../lib/telemetry/reading';

/** 400 readings from 20 devices, starting 10 s before midnight UTC: two daily indices. */
function readings(count = 400): Reading[] {
  return [...generateTelemetry(count, { seed: 5, devices: 20, startMs: Date.UTC(2026, 10, 25, 23, 59, 50) })].map((raw) => {
    const result = parseReading(Buffer.from(JSON.stringify(raw)));
    if (!result.ok) throw new Error(`generated an invalid reading: ${JSON.stringify(result.error)}`);
    return result.reading;
  });
}

const itemsOf = (values: readonly Reading[]): SinkItem<Reading>[] => values.map((value, i) => ({ ref: 1_000 + i, value }));

function countByIndex(values: readonly Reading[], prefix: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of values) counts.set(telemetryIndexOf(r, prefix), (counts.get(telemetryIndexOf(r, prefix)) ?? 0) + 1);
  return counts;
}

function telemetrySink(client: Client, prefix: string, options: Partial<OpenSearchBulkSinkOptions<Reading>> = {}): OpenSearchBulkSink<Reading> {
  return new OpenSearchBulkSink<Reading>({
    client,
    indexOf: (r) => telemetryIndexOf(r, prefix),
    idOf: telemetryDocumentId,
    documentOf: telemetryDocumentOf,
    sleep: () => Promise.resolve(),
    ...options,
  });
}

async function countOf(client: Client, index: string): Promise<number> {
  await client.indices.refresh({ index });
  const response = await client.count({ index });
  return (response.body as { count: number }).count;
}

describe('OpenSearchBulkSink against the local OpenSearch', () => {
  let opensearch: LocalOpenSearch;
  let client: Client;
  const clients: Client[] = [];
  const clientFor = (config: Partial<OpenSearchClientConfig> & { endpoint: string }): Client => {
    const made = createOpenSearchClient({ region: 'eu-west-1', signing: 'none', ...config });
    clients.push(made);
    return made;
  };

  beforeAll(async () => {
    opensearch = await startOpenSearchEmulator({ port: 0, refreshIntervalMs: -1 });
    client = clientFor({ endpoint: opensearch.endpoint });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await opensearch?.stop();
  });

  afterEach(() => opensearch.faults.clear());

  async function installTemplate(prefix: string, on: Client = client): Promise<void> {
    await ensureIndexTemplate(on, `${prefix}-${TELEMETRY_TEMPLATE_NAME}`, telemetryIndexTemplate(prefix));
  }

  test('indexes a batch into daily indices created from the template, each document as the reading made it', async () => {
    const prefix = 'it-batch';
    await installTemplate(prefix);
    const template = await client.indices.getIndexTemplate({ name: `${prefix}-${TELEMETRY_TEMPLATE_NAME}` });
    expect(JSON.stringify(template.body)).toContain(`${prefix}-*`);

    const batch = readings();
    const result = await telemetrySink(client, prefix).write(itemsOf(batch));
    expect(result.failures).toEqual([]);
    expect(result.stats).toMatchObject({ items: batch.length, written: batch.length, attempts: 1, requests: 1 });

    const expected = countByIndex(batch, prefix);
    expect([...expected.keys()].sort()).toEqual([`${prefix}-2026.11.25`, `${prefix}-2026.11.26`]);
    expect(opensearch.indices().filter((i) => i.startsWith(`${prefix}-`)).sort()).toEqual([...expected.keys()].sort());
    for (const [index, count] of expected) expect(await countOf(client, index)).toBe(count);

    // Each daily index took the strict mapping computed from the schema, and the template's settings.
    for (const index of expected.keys()) {
      expect(opensearch.mapping(index)).toEqual(openSearchMappingOf(getSchema('telemetry')));
      const settings = await client.indices.getSettings({ index });
      expect((settings.body as Record<string, { settings: { index: { number_of_shards: string } } }>)[index]!.settings.index.number_of_shards).toBe('1');
    }

    const sample = batch[123]!;
    const got = await client.get({ index: telemetryIndexOf(sample, prefix), id: telemetryDocumentId(sample) });
    expect(got.body._source).toEqual(telemetryDocumentOf(sample));
  });

  test('a replay (the same batch again, in another order) overwrites: counts unchanged, every document at version 2', async () => {
    const prefix = 'it-replay';
    await installTemplate(prefix);
    const batch = readings();
    const sink = telemetrySink(client, prefix);
    expect((await sink.write(itemsOf(batch))).failures).toEqual([]);
    expect((await sink.write(itemsOf([...batch].reverse()))).failures).toEqual([]);
    for (const [index, count] of countByIndex(batch, prefix)) {
      expect(await countOf(client, index)).toBe(count);
      expect(opensearch.documents(index).every((d) => d._version === 2)).toBe(true);
    }
  });

  test('documents the strict mapping refuses are permanent failures under their refs; the rest are written', async () => {
    const prefix = 'it-schema';
    await installTemplate(prefix);
    const batch = readings(50);
    const extraFieldRef = 1_000 + 7;
    const wrongTypeRef = 1_000 + 20;
    const sink = telemetrySink(client, prefix, {
      documentOf: (r) => {
        const document = telemetryDocumentOf(r);
        // A producer that started sending a new field, and one that sends text where a number belongs.
        if (r === batch[7]) return { ...document, firmware_channel: 'beta' };
        if (r === batch[20]) return { ...document, temperature_c: 'hot' };
        return document;
      },
    });
    const result = await sink.write(itemsOf(batch));
    expect(result.failures.map((f) => [f.ref, f.kind, f.code])).toEqual([
      [extraFieldRef, 'permanent', 'strict_dynamic_mapping_exception'],
      [wrongTypeRef, 'permanent', 'mapper_parsing_exception'],
    ]);
    expect(result.failures[0]!.message).toContain('firmware_channel');
    expect(result.failures[1]!.message).toContain('temperature_c');
    expect(result.stats).toMatchObject({ written: 48, attempts: 1, permanentFailures: 2 });
    const total = [...countByIndex(batch, prefix).keys()];
    let count = 0;
    for (const index of total) count += await countOf(client, index);
    expect(count).toBe(48);
  });

  test('throttled items (injected 429s) and a failed request (503) are retried until written', async () => {
    const prefix = 'it-throttle';
    await installTemplate(prefix);
    const batch = readings();
    opensearch.faults.failBulkItems({ count: 60 });
    opensearch.faults.failRequests({ status: 503, count: 1, match: { operation: 'bulk' } });
    const waits: number[] = [];
    const sink = telemetrySink(client, prefix, { sleep: (ms) => (waits.push(ms), Promise.resolve()) });
    const result = await sink.write(itemsOf(batch));
    expect(result.failures).toEqual([]);
    // Round 1: the request fails whole; round 2: 60 items throttled; round 3: those 60 written.
    expect(result.stats).toMatchObject({ written: batch.length, attempts: 3, requests: 3, retriedItems: batch.length + 60 });
    expect(waits).toHaveLength(2);
    for (const [index, count] of countByIndex(batch, prefix)) expect(await countOf(client, index)).toBe(count);
  });

  test('an item throttled on every attempt ends as a transient failure; the others are written', async () => {
    const prefix = 'it-exhaust';
    await installTemplate(prefix);
    const batch = readings(30);
    const stuck = batch[4]!;
    opensearch.faults.failBulkItems({ count: Infinity, match: { id: telemetryDocumentId(stuck) } });
    const result = await telemetrySink(client, prefix, { maxAttempts: 3 }).write(itemsOf(batch));
    expect(result.failures).toEqual([expect.objectContaining({ ref: 1_004, kind: 'transient', code: 'es_rejected_execution_exception' })]);
    expect(result.stats).toMatchObject({ written: 29, attempts: 3, transientFailures: 1 });
  });

  test('a domain with a small http.max_content_length answers 413: the sink splits until every request fits', async () => {
    const small = await startOpenSearchEmulator({ port: 0, refreshIntervalMs: -1, maxContentLengthBytes: 16 * 1024 });
    try {
      const smallClient = clientFor({ endpoint: small.endpoint });
      const prefix = 'it-small';
      await installTemplate(prefix, smallClient);
      const batch = readings();
      const result = await telemetrySink(smallClient, prefix).write(itemsOf(batch));
      expect(result.failures).toEqual([]);
      expect(result.stats.splitRequests).toBeGreaterThan(0);
      expect(result.stats.attempts).toBe(1);
      for (const [index, count] of countByIndex(batch, prefix)) expect(await countOf(smallClient, index)).toBe(count);
      expect(small.requestLog().filter((r) => r.path === '/_bulk' && r.status === 413).length).toBe(result.stats.splitRequests);
    } finally {
      await small.stop();
    }
  });

  describe('a domain that only admits signed requests', () => {
    const credentials = { accessKeyId: 'AKIDSHARDLINETEST', secretAccessKey: 'shardline/test/secret' };
    let signedOnly: LocalOpenSearch;

    beforeAll(async () => {
      signedOnly = await startOpenSearchEmulator({ port: 0, refreshIntervalMs: -1, requireSignedRequests: { credentials, region: 'eu-west-1', service: 'es' } });
    });
    afterAll(async () => {
      await signedOnly?.stop();
    });

    test('takes the template and the batch signed with static credentials', async () => {
      const signed = clientFor({ endpoint: signedOnly.endpoint, signing: 'sigv4', credentials: { ...credentials, sessionToken: 'token' } });
      const prefix = 'it-signed';
      await installTemplate(prefix, signed);
      const batch = readings(100);
      const result = await telemetrySink(signed, prefix).write(itemsOf(batch));
      expect(result.failures).toEqual([]);
      for (const [index, count] of countByIndex(batch, prefix)) expect(await countOf(signed, index)).toBe(count);
      const log = signedOnly.requestLog();
      expect(log.length).toBeGreaterThan(0);
      expect(log.every((r) => r.signed && r.status < 300)).toBe(true);
    });

    test('refuses unsigned requests and a wrong secret with 403, which the sink throws rather than blaming the data', async () => {
      const readingsBatch = itemsOf(readings(5));
      const unsigned = clientFor({ endpoint: signedOnly.endpoint });
      await expect(telemetrySink(unsigned, 'it-unsigned').write(readingsBatch)).rejects.toMatchObject({ name: 'OpenSearchRequestRejectedError', statusCode: 403 });

      const wrong = clientFor({ endpoint: signedOnly.endpoint, signing: 'sigv4', credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: 'not-the-secret' } });
      const error = await telemetrySink(wrong, 'it-wrong').write(readingsBatch).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenSearchRequestRejectedError);
      expect((error as OpenSearchRequestRejectedError).statusCode).toBe(403);
      await expect(installTemplate('it-wrong', wrong)).rejects.toMatchObject({ name: 'ResponseError' });
    });
  });
});
