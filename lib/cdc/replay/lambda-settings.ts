/**
 * What the cdc-replay Lambda needs besides the applier: decoding a DMS Kinesis record for the
 * consumer core (a malformed message becomes a poison record naming its field), and the delete
 * mode from the environment.
 */
import type { DeleteMode } from '../apply';
import { DELETE_MODES } from '../apply';
import type { ChangeEvent } from '../change-event';
import { ChangeFormatError } from '../change-event';
import { parseDmsKinesisMessage } from '../formats/dms-kinesis';
import type { DecodeResult } from '../../kinesis/consumer/consume-batch';

/** A DMS Kinesis record → a change event, or the field and reason it is not one. */
export function decodeDmsRecord(data: Buffer): DecodeResult<ChangeEvent> {
  try {
    return { ok: true, value: parseDmsKinesisMessage(data) };
  } catch (error) {
    if (error instanceof ChangeFormatError) return { ok: false, error: { field: error.field, reason: error.reason } };
    throw error;
  }
}

/** A configuration error: `CDC_DELETES` names no delete mode. */
export class InvalidDeleteModeError extends Error {
  override readonly name = 'InvalidDeleteModeError';
}

/** `CDC_DELETES`: `remove` (default) or `tombstone`. */
export function deleteModeFromEnv(env: NodeJS.ProcessEnv): DeleteMode {
  const value = env.CDC_DELETES || 'remove';
  if (!(DELETE_MODES as readonly string[]).includes(value)) throw new InvalidDeleteModeError(`CDC_DELETES must be one of ${DELETE_MODES.join(', ')}, got ${JSON.stringify(value)}`);
  return value as DeleteMode;
}
