/**
 * Text analysis for `text` fields and `match` queries. The `standard` analyzer is Unicode word
 * segmentation (UAX #29, which Lucene's standard tokenizer implements; here through ICU's
 * `Intl.Segmenter`) and lowercasing, tokens split at 255 characters. `simple` keeps runs of
 * letters, lowercased; `whitespace` splits on whitespace; `keyword` keeps the whole value.
 * @see https://opensearch.org/docs/latest/analyzers/supported-analyzers/index/
 */
import type { AnalyzerName } from './mapping';

const MAX_TOKEN_LENGTH = 255;
const segmenter = new Intl.Segmenter('und', { granularity: 'word' });

function standard(text: string): string[] {
  const tokens: string[] = [];
  for (const { segment, isWordLike } of segmenter.segment(text)) {
    if (!isWordLike) continue;
    const token = segment.toLowerCase();
    for (let at = 0; at < token.length; at += MAX_TOKEN_LENGTH) tokens.push(token.slice(at, at + MAX_TOKEN_LENGTH));
  }
  return tokens;
}

/** The tokens `analyzer` makes of `text`, in order. */
export function analyze(text: string, analyzer: AnalyzerName = 'standard'): string[] {
  switch (analyzer) {
    case 'standard':
      return standard(text);
    case 'simple':
      return (text.match(/\p{L}+/gu) ?? []).map((t) => t.toLowerCase());
    case 'whitespace':
      return text.split(/\s+/u).filter((t) => t !== '');
    case 'keyword':
      return [text];
  }
}
