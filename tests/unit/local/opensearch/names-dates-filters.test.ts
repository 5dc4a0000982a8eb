/** Index names and expressions, date formats and math, filter_path and _source filtering. */
import { parseDate, resolveDateMath } from '../../../../lib/local/opensearch/dates';
import { OpenSearchError } from '../../../../lib/local/opensearch/errors';
import { patternsOverlap, resolveIndexExpression, validateIndexName } from '../../../../lib/local/opensearch/index-names';
import { applyFilterPath } from '../../../../lib/local/opensearch/response-filter';
import { filterSource, parseSourceFilter } from '../../../../lib/local/opensearch/source-filter';

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof OpenSearchError) return error.reason;
    throw error;
  }
  throw new Error('expected an OpenSearchError');
}

describe('index names', () => {
  test('OpenSearch\'s rules, in its order', () => {
    expect(() => validateIndexName('telemetry-2024.01.15')).not.toThrow();
    expect(reasonOf(() => validateIndexName('Telemetry'))).toBe('Invalid index name [Telemetry], must be lowercase');
    expect(reasonOf(() => validateIndexName('a b'))).toBe('Invalid index name [a b], must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?]');
    expect(reasonOf(() => validateIndexName('a#b'))).toBe("Invalid index name [a#b], must not contain '#'");
    expect(reasonOf(() => validateIndexName('_a'))).toBe("Invalid index name [_a], must not start with '_', '-', or '+'");
    expect(reasonOf(() => validateIndexName('..'))).toBe("Invalid index name [..], must not be '.' or '..'");
    expect(reasonOf(() => validateIndexName('é'.repeat(128)))).toBe(`Invalid index name [${'é'.repeat(128)}], index name is too long, (256 > 255)`);
  });

  test('expressions: wildcards, lists, _all, exclusions, hidden indices, missing names', () => {
    const existing = ['telemetry-a', 'telemetry-b', 'clicks', '.hidden'];
    expect(resolveIndexExpression('telemetry-*', existing)).toEqual(['telemetry-a', 'telemetry-b']);
    expect(resolveIndexExpression('clicks,telemetry-b', existing)).toEqual(['clicks', 'telemetry-b']);
    expect(resolveIndexExpression('_all', existing)).toEqual(['telemetry-a', 'telemetry-b', 'clicks']);
    expect(resolveIndexExpression('*,-telemetry-a', existing)).toEqual(['telemetry-b', 'clicks']);
    expect(resolveIndexExpression('nomatch-*', existing)).toEqual([]);
    expect(resolveIndexExpression('.h*', existing)).toEqual(['.hidden']);
    expect(reasonOf(() => resolveIndexExpression('missing', existing))).toBe('no such index [missing]');
    expect(resolveIndexExpression('missing,clicks', existing, { ignoreUnavailable: true })).toEqual(['clicks']);
  });

  test('pattern overlap (for same-priority templates)', () => {
    expect(patternsOverlap('telemetry-*', 'tele*')).toBe(true);
    expect(patternsOverlap('telemetry-*', '*-2024')).toBe(true);
    expect(patternsOverlap('telemetry-*', 'clicks-*')).toBe(false);
    expect(patternsOverlap('a*b', 'a*c')).toBe(false);
  });
});

describe('dates', () => {
  test('named formats and patterns', () => {
    expect(parseDate('2024-01-15T10:30:00.5Z')).toBe(Date.UTC(2024, 0, 15, 10, 30, 0, 500));
    expect(parseDate('2024')).toBe(Date.UTC(2024, 0, 1));
    expect(parseDate('1700000000', 'epoch_second')).toBe(1_700_000_000_000);
    expect(parseDate('15/01/2024 10:30', 'dd/MM/yyyy HH:mm')).toBe(Date.UTC(2024, 0, 15, 10, 30));
    expect(parseDate('20240115', 'basic_date')).toBe(Date.UTC(2024, 0, 15));
    expect(() => parseDate('2024-1-5', 'strict_date_optional_time')).toThrow('failed to parse date field [2024-1-5] with format [strict_date_optional_time]');
    expect(parseDate('2024-1-5', 'date_optional_time')).toBe(Date.UTC(2024, 0, 5));
  });

  test('date math with rounding up for gt/lte', () => {
    const now = Date.UTC(2024, 0, 15, 13, 45, 10);
    const format = 'strict_date_optional_time||epoch_millis';
    expect(resolveDateMath('now-1d/d', format, { roundUp: false, now })).toBe(Date.UTC(2024, 0, 14));
    expect(resolveDateMath('now-1d/d', format, { roundUp: true, now })).toBe(Date.UTC(2024, 0, 15) - 1);
    expect(resolveDateMath('2024-01-31||+1M', format, { roundUp: false, now })).toBe(Date.UTC(2024, 2, 2));
    expect(resolveDateMath('now/w', format, { roundUp: false, now })).toBe(Date.UTC(2024, 0, 15));
    expect(resolveDateMath('2024-01-15T10:00:00', format, { roundUp: false, now, timeZoneOffsetMinutes: 60 })).toBe(Date.UTC(2024, 0, 15, 9));
  });
});

describe('filters', () => {
  const response = { took: 1, hits: { total: { value: 2 }, hits: [{ _id: 'a', _source: { x: 1 } }, { _id: 'b', _source: { x: 2 } }] } };

  test('filter_path keeps, drops and recurses as OpenSearch does', () => {
    expect(applyFilterPath(response, 'hits.hits._source')).toEqual({ hits: { hits: [{ _source: { x: 1 } }, { _source: { x: 2 } }] } });
    expect(applyFilterPath(response, 'hits.total,took')).toEqual({ took: 1, hits: { total: { value: 2 } } });
    expect(applyFilterPath(response, '**._id')).toEqual({ hits: { hits: [{ _id: 'a' }, { _id: 'b' }] } });
    expect(applyFilterPath(response, '-hits')).toEqual({ took: 1 });
    expect(applyFilterPath(response, 'nothing')).toEqual({});
  });

  test('_source includes and excludes, with wildcards and objects', () => {
    const source = { device: 'd', reading: { temp: 1, hum: 2 }, tags: [{ k: 'a', v: 1 }] };
    expect(filterSource(source, parseSourceFilter(['reading']))).toEqual({ reading: { temp: 1, hum: 2 } });
    expect(filterSource(source, parseSourceFilter('reading.t*'))).toEqual({ reading: { temp: 1 } });
    expect(filterSource(source, parseSourceFilter({ excludes: ['reading.hum', 'tags.v'] }))).toEqual({ device: 'd', reading: { temp: 1 }, tags: [{ k: 'a' }] });
    expect(filterSource(source, parseSourceFilter({ includes: ['*'], excludes: ['device'] }))).toEqual({ reading: { temp: 1, hum: 2 }, tags: [{ k: 'a', v: 1 }] });
  });
});
