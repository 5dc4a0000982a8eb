/**
 * The emulator's private endpoints under `/_emulator` (never signed, never faulted), for callers
 * in another process (serverless offline, a CLI) that cannot reach the programmatic API.
 * Documented in this folder's README.
 */
import { InvalidFaultError } from './errors';
import { json, jsonBody, type Route } from './rest';
import type { Serializable } from './json';

/** The path prefix of the private endpoints. */
export const EMULATOR_PREFIX = '/_emulator';

export const EMULATOR_ROUTES: readonly Route[] = [
  {
    methods: ['POST'], path: '/_emulator/faults', operation: 'emulator.add_fault', params: [],
    handle: (request, env) => {
      try {
        const handle = env.faults.addFromJson(jsonBody(request, true)!);
        return json(200, { id: handle.id, kind: handle.kind, remaining: Number.isFinite(handle.remaining) ? handle.remaining : -1 });
      } catch (error) {
        if (error instanceof InvalidFaultError) return json(400, { error: error.message, status: 400 });
        throw error;
      }
    },
  },
  {
    methods: ['GET'], path: '/_emulator/faults', operation: 'emulator.list_faults', params: [],
    handle: (_request, env) => json(200, { faults: env.faults.list().map((f) => ({ ...f, remaining: Number.isFinite(f.remaining) ? f.remaining : -1 })) }),
  },
  {
    methods: ['DELETE'], path: '/_emulator/faults', operation: 'emulator.clear_faults', params: [],
    handle: (_request, env) => {
      env.faults.clear();
      return json(200, { acknowledged: true });
    },
  },
  {
    methods: ['DELETE'], path: '/_emulator/faults/{id}', operation: 'emulator.cancel_fault', params: [],
    handle: (request, env) => (env.faults.cancel(request.pathParams.id!) ? json(200, { acknowledged: true }) : json(404, { error: `no fault [${request.pathParams.id}]`, status: 404 })),
  },
  {
    methods: ['GET'], path: '/_emulator/requests', operation: 'emulator.requests', params: [],
    handle: (_request, env) => json(200, env.requestStats()),
  },
  {
    methods: ['GET'], path: '/_emulator/documents/{index}', operation: 'emulator.documents', params: [],
    handle: (request, env) => {
      const index = env.cluster.require(request.pathParams.index!);
      const documents: Serializable[] = index.liveDocuments().map((d) => ({ _id: d.id, _version: d.version, _seq_no: d.seqNo, _primary_term: d.primaryTerm, _source: d.source }));
      return json(200, { index: index.name, documents });
    },
  },
  {
    methods: ['POST'], path: '/_emulator/reset', operation: 'emulator.reset', params: [],
    handle: (_request, env) => {
      env.cluster.reset();
      env.faults.clear();
      env.resetRequestStats();
      return json(200, { acknowledged: true });
    },
  },
];
