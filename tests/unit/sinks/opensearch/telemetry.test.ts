import { generateTelemetry } from '../../../../lib/datasets/telemetry';
import type { OpenSearchFieldMapping } from '../../../../lib/schemas/opensearch-mapping';
import { openSearchMappingOf } from '../../../../lib/schemas/opensearch-mapping';
import { getSchema } from '../../../../lib/schemas/registry';
import { MAX_DOCUMENT_ID_BYTES } from '../../../../lib/sinks/opensearch';
import { TELEMETRY_TEMPLATE_NAME, telemetryDocumentId, telemetryDocumentOf, telemetryIndexOf, telemetryIndexTemplate } from '../../../../lib/sinks/opensearch/telemetry';
import type { Reading } from '../../../../lib/telemetry/reading';
import { parseReading, readingId } from '../../../../lib/telemetry/reading';

function readingOf(fields: Record<string, unknown>): Reading {
  const result = parseReading(Buffer.from(JSON.stringify(fields)));
  if (!result.ok) throw new Error(`invalid reading: ${JSON.stringify(result.error)}`);
  return result.reading;
}

const BASE = {
  device_id: 'sensor-0001', timestamp: '2026-11-25T22:00:00.005Z', seq: 3, temperature_c: 21.5, humidity_pct: 40.1,
  pressure_hpa: null, battery_pct: 88, rssi_dbm: -60, status: 'ok', firmware: '1.4.2',
};

/** Whether a JSON value fits a mapped field the way OpenSearch would accept it (null always does). */
function fits(value: unknown, field: OpenSearchFieldMapping): boolean {
  if (value === null) return true;
  switch (field.type) {
    case 'keyword': return typeof value === 'string';
    case 'long': return Number.isInteger(value);
    case 'double': return typeof value === 'number' && Number.isFinite(value);
    case 'boolean': return typeof value === 'boolean';
    case 'date': return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value);
  }
}

describe('telemetry in OpenSearch', () => {
  test('a reading goes to the daily index of its UTC day', () => {
    expect(telemetryIndexOf(readingOf(BASE))).toBe('telemetry-2026.11.25');
    // 23:30 at UTC−4 is 03:30 the next day in UTC.
    expect(telemetryIndexOf(readingOf({ ...BASE, timestamp: '2026-12-31T23:30:00-04:00' }), 'dev-telemetry')).toBe('dev-telemetry-2027.01.01');
  });

  test('the document id is the reading\'s identity: equal for the same device and instant, whatever the offset it was written in', () => {
    const utc = readingOf(BASE);
    const shifted = readingOf({ ...BASE, timestamp: '2026-11-25T23:00:00.005+01:00', temperature_c: 30 });
    expect(readingId(utc)).toBe(readingId(shifted));
    expect(telemetryDocumentId(utc)).toBe('sensor-0001_1795644000005');
    expect(telemetryDocumentId(shifted)).toBe(telemetryDocumentId(utc));
    expect(telemetryDocumentId(readingOf({ ...BASE, timestamp: '2026-11-25T22:00:00.006Z' }))).not.toBe(telemetryDocumentId(utc));
  });

  test('ids are URL-safe and far below the 512-byte limit, even for the longest device id', () => {
    const longest = readingOf({ ...BASE, device_id: `a${'-'.repeat(63)}`, timestamp: '9999-12-31T23:59:59.999Z' });
    const id = telemetryDocumentId(longest);
    expect(encodeURIComponent(id)).toBe(id);
    expect(Buffer.byteLength(id)).toBeLessThanOrEqual(81);
    expect(Buffer.byteLength(id)).toBeLessThan(MAX_DOCUMENT_ID_BYTES);
  });

  test('the document holds exactly the schema\'s fields, timestamp normalised, no timestampMs', () => {
    const document = telemetryDocumentOf(readingOf({ ...BASE, timestamp: '2026-11-25T23:00:00.005+01:00' }));
    expect(Object.keys(document)).toEqual(Object.keys(getSchema('telemetry').document.properties));
    expect(document).toEqual({ ...BASE });
    expect(document).not.toHaveProperty('timestampMs');
  });

  test('every generated reading\'s document fits the strict mapping computed from the schema', () => {
    const mapping = openSearchMappingOf(getSchema('telemetry'));
    let count = 0;
    for (const raw of generateTelemetry(2_000, { seed: 11 })) {
      const document = telemetryDocumentOf(readingOf(raw as unknown as Record<string, unknown>));
      for (const [field, value] of Object.entries(document)) {
        const mapped = mapping.properties[field];
        expect(mapped).toBeDefined();
        if (!fits(value, mapped!)) throw new Error(`${field}=${JSON.stringify(value)} does not fit ${JSON.stringify(mapped)}`);
      }
      count++;
    }
    expect(count).toBe(2_000);
  });

  test('the index template covers the prefix\'s indices with the schema\'s mapping', () => {
    const template = telemetryIndexTemplate('dev-telemetry');
    expect(template.index_patterns).toEqual(['dev-telemetry-*']);
    expect(template.template.mappings).toEqual(openSearchMappingOf(getSchema('telemetry')));
    expect(template.template.settings).toEqual({ index: { number_of_shards: 1 } });
    // The more specific of two overlapping prefixes wins, and they never tie.
    expect(telemetryIndexTemplate('telemetry-eu').priority).toBeGreaterThan(telemetryIndexTemplate('telemetry').priority!);
    expect(telemetryIndexTemplate('t', { replicas: 0, refreshInterval: '5s' }).template.settings).toEqual({ index: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: '5s' } });
    expect(TELEMETRY_TEMPLATE_NAME).toMatch(/^[a-z0-9-]+$/);
  });
});
