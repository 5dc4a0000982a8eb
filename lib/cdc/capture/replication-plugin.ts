/**
 * The output plugin handed to pg-logical-replication's `LogicalReplicationService`: it starts a
 * `pgoutput` stream (protocol 1) and decodes each message with {@link PgoutputDecoder} (exact
 * text values) as it arrives. It also notes, in arrival order, whether a transaction was open:
 * the service emits keepalives at once but data messages through its queue, so only arrival
 * order says which data a keepalive came after.
 */
import type { Client } from 'pg';
import { AbstractPlugin } from 'pg-logical-replication/dist/output-plugins/abstract.plugin.js';
import { PgoutputDecoder, type PgoutputMessage } from './pgoutput-decoder';

/** One XLogData message as the capture's handler receives it. */
export type ArrivedMessage =
  | { readonly ok: true; readonly message: PgoutputMessage; readonly bytes: number; readonly arrival: number }
  | { readonly ok: false; readonly error: unknown; readonly bytes: number; readonly arrival: number };

export interface CapturePluginOptions {
  readonly publicationName: string;
}

export class CapturePlugin extends AbstractPlugin<CapturePluginOptions> {
  readonly decoder = new PgoutputDecoder();
  /** XLogData messages that arrived so far. */
  arrived = 0;
  /** Whether the last message that arrived left a transaction open. */
  openAtArrival = false;

  get name(): string {
    return 'pgoutput';
  }

  start(client: Client, slotName: string, lastLsn: string): Promise<unknown> {
    // Protocol 1: no streaming of in-progress transactions (v2), which the capture does not take.
    return client.query(`START_REPLICATION SLOT "${slotName}" LOGICAL ${lastLsn} (proto_version '1', publication_names '"${this.options.publicationName}"')`);
  }

  /** Never throws (it runs inside the connection's data handler): a bad message is passed on as an error. */
  parse(buffer: Buffer): ArrivedMessage {
    const arrival = ++this.arrived;
    try {
      const message = this.decoder.decode(buffer);
      if (message.tag === 'begin') this.openAtArrival = true;
      else if (message.tag === 'commit') this.openAtArrival = false;
      return { ok: true, message, bytes: buffer.length, arrival };
    } catch (error) {
      return { ok: false, error, bytes: buffer.length, arrival };
    }
  }
}
