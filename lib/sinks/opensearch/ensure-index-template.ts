/**
 * Installs a composable index template once per container: the first caller sends the PUT, the
 * others (and later invocations) await the same promise. A failed PUT is forgotten, so the next
 * invocation tries again instead of the container staying broken.
 *
 * The PUT is idempotent (the template is replaced with the same body), so concurrent containers
 * after a deployment all converge on the template of the code that runs.
 */
import type { Client } from '@opensearch-project/opensearch';
import type { IndexTemplateBody } from '../../schemas/opensearch-mapping';

/** The one call this module makes; a `Client` from `@opensearch-project/opensearch` has it. */
export type IndexTemplateApi = { readonly indices: Pick<Client['indices'], 'putIndexTemplate'> };

/** OpenSearch answered the PUT without acknowledging it. */
export class IndexTemplateNotAcknowledgedError extends Error {
  override readonly name = 'IndexTemplateNotAcknowledgedError';
}

const installed = new WeakMap<object, Map<string, Promise<void>>>();

async function putTemplate(client: IndexTemplateApi, name: string, body: IndexTemplateBody): Promise<void> {
  // The generated request type has mutable arrays; the body is only serialised.
  const response = await client.indices.putIndexTemplate({ name, body: body as unknown as Parameters<IndexTemplateApi['indices']['putIndexTemplate']>[0]['body'] });
  const acknowledged = (response.body as { acknowledged?: unknown } | undefined)?.acknowledged;
  if (acknowledged !== true) throw new IndexTemplateNotAcknowledgedError(`PUT _index_template/${name} was not acknowledged`);
}

/**
 * Puts `body` as the index template `name`, once per client and name for the life of the
 * container; rejects (and forgets the attempt) if OpenSearch refuses it.
 */
export function ensureIndexTemplate(client: IndexTemplateApi, name: string, body: IndexTemplateBody): Promise<void> {
  let byName = installed.get(client);
  if (byName === undefined) installed.set(client, (byName = new Map<string, Promise<void>>()));
  const known = byName.get(name);
  if (known !== undefined) return known;
  const done = putTemplate(client, name, body).catch((error: unknown) => {
    byName.delete(name);
    throw error;
  });
  byName.set(name, done);
  return done;
}
