/** A compiled JSON Schema validator (Ajv, draft 2020-12) for one dataset's typed rows. */
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { DatasetSchema } from './dataset-schema';
import { isUuid } from './formats';

/** The first rule a row breaks: which field and why. */
export interface Violation {
  readonly field: string | undefined;
  readonly reason: string;
}

export type RowValidator = (row: Readonly<Record<string, unknown>>) => Violation | undefined;

export interface ValidatorOptions {
  /**
   * The caller builds rows with exactly the schema's properties (as the CSV decoder does), so
   * `required` and `additionalProperties` cannot fail and are left out of the compiled code:
   * the per-row key loops they cost are a fifth of validation time.
   */
  readonly shapeGuaranteed?: boolean;
}

export function compileValidator(schema: DatasetSchema, options: ValidatorOptions = {}): RowValidator {
  // `fast` formats: linear-time regexes, enough to reject what is not a URI/UUID/date-time.
  const ajv = new Ajv2020({ allErrors: false, strict: true, strictTypes: false });
  ajv.addKeyword('x-shardline');
  addFormats(ajv, { mode: 'fast', formats: ['uri'] });
  ajv.addFormat('uuid', { type: 'string', validate: isUuid });
  // Rows reach the validator with timestamps already parsed and normalised by the decoder.
  ajv.addFormat('date-time', true);
  const document = options.shapeGuaranteed
    ? Object.fromEntries(Object.entries(schema.document).filter(([keyword]) => keyword !== 'required' && keyword !== 'additionalProperties'))
    : schema.document;
  const validate = ajv.compile(document);
  return (row) => {
    if (validate(row)) return undefined;
    const error = validate.errors?.[0];
    const field = error?.instancePath ? error.instancePath.slice(1).split('/')[0] : undefined;
    const detail = error?.params && 'allowedValues' in error.params
      ? `${error.message ?? 'invalid'}: ${JSON.stringify(error.params.allowedValues)}`
      : (error?.message ?? 'invalid');
    return { field, reason: `${detail}, got ${JSON.stringify(field === undefined ? row : row[field])}` };
  };
}
