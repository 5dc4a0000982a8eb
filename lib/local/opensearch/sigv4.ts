/**
 * Request signing as Amazon OpenSearch Service checks it in front of the cluster (AWS Signature
 * Version 4, `AWS4-HMAC-SHA256`). With `requireSignedRequests: true` the emulator refuses
 * unsigned requests (403, as a domain whose access policy names only IAM principals does) and
 * checks the signed request's shape: the `Credential`, `SignedHeaders` and `Signature` parts,
 * `host` and `x-amz-date` among the signed headers, the date within 15 minutes, and the
 * payload hash (`x-amz-content-sha256`) equal to the body's. Given credentials it also
 * recomputes the signature.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { parse as parseQueryString } from 'node:querystring';
import { FrontEndError } from './errors';

/** Credentials the emulator verifies signatures against. */
export interface SignatureCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** How strictly requests must be signed. */
export interface SignatureRequirement {
  /** Verify the signature itself with these credentials (any access key is accepted when absent). */
  readonly credentials?: SignatureCredentials;
  /** The region the credential scope must name (any when absent). */
  readonly region?: string;
  /** The service the scope must name: `es` (default) or `aoss`. */
  readonly service?: 'es' | 'aoss';
}

/** What the check needs of a request. */
export interface SignedRequest {
  readonly method: string;
  /** The path and query string exactly as sent. */
  readonly rawUrl: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

const MAX_SKEW_MS = 15 * 60_000;

const sha256Hex = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();
const encodeRfc3986 = (text: string): string => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const headerText = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value.join(',') : value);

function actionOf(method: string): string {
  const verb = method.charAt(0) + method.slice(1).toLowerCase();
  return `es:ESHttp${verb}`;
}

const denied = (message: string): FrontEndError => new FrontEndError(403, { message });

/** The canonical URI of a non-S3 service: dot segments removed, each segment URI-encoded again. */
function canonicalUri(path: string): string {
  if (path === '/' || path === '') return '/';
  const segments: string[] = [];
  for (const piece of path.replace(/\/{2,}/g, '/').split('/')) {
    if (piece === '..') segments.pop();
    else if (piece !== '.') segments.push(encodeRfc3986(piece));
  }
  const joined = segments.join('/');
  return joined.startsWith('/') ? joined : `/${joined}`;
}

function canonicalQuery(query: string): string {
  if (query === '') return '';
  const parsed = parseQueryString(query);
  const pieces: string[] = [];
  for (const key of Object.keys(parsed).filter((k) => k !== '').map((k) => [encodeRfc3986(k), parsed[k]] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const [name, value] = key;
    const values = Array.isArray(value) ? value : [value ?? ''];
    for (const v of values.map(encodeRfc3986).sort()) pieces.push(`${name}=${v}`);
  }
  return pieces.join('&');
}

/**
 * Throws {@link FrontEndError} (403) when the request is not signed as required; returns the
 * access key id of a signed request.
 */
export function checkSignature(request: SignedRequest, requirement: SignatureRequirement = {}, now: number = Date.now()): string {
  const authorization = headerText(request.headers.authorization);
  if (authorization === undefined || authorization === '') {
    // The domain's access policy answers an anonymous request itself, capitalised as Amazon does.
    throw new FrontEndError(403, { Message: `User: anonymous is not authorized to perform: ${actionOf(request.method)} because no resource-based policy allows the ${actionOf(request.method)} action` });
  }
  if (!authorization.startsWith('AWS4-HMAC-SHA256 ')) throw denied(`Authorization header is not an AWS Signature Version 4 header (AWS4-HMAC-SHA256)`);
  const parts = new Map<string, string>();
  for (const part of authorization.slice('AWS4-HMAC-SHA256 '.length).split(',')) {
    const at = part.indexOf('=');
    if (at > 0) parts.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((name) => !parts.has(name));
  if (missing.length > 0) throw denied(missing.map((name) => `Authorization header requires '${name}' parameter.`).join(' '));
  const [accessKeyId, date, region, service, terminator] = parts.get('Credential')!.split('/');
  if (accessKeyId === undefined || terminator !== 'aws4_request') throw denied(`Credential should be scoped to a valid region, not '${region ?? ''}'. `);
  const expectedService = requirement.service ?? 'es';
  if (service !== expectedService) throw denied(`Credential should be scoped to correct service: '${expectedService}'. `);
  if (requirement.region !== undefined && region !== requirement.region) throw denied(`Credential should be scoped to a valid region, not '${region}'. `);
  const amzDate = headerText(request.headers['x-amz-date']);
  if (amzDate === undefined || !/^\d{8}T\d{6}Z$/.test(amzDate)) throw denied("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  if (!amzDate.startsWith(date ?? '')) throw denied(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${date}' != '${amzDate.slice(0, 8)}'`);
  const signedAt = Date.UTC(Number(amzDate.slice(0, 4)), Number(amzDate.slice(4, 6)) - 1, Number(amzDate.slice(6, 8)), Number(amzDate.slice(9, 11)), Number(amzDate.slice(11, 13)), Number(amzDate.slice(13, 15)));
  if (Math.abs(now - signedAt) > MAX_SKEW_MS) throw denied(`Signature expired: ${amzDate} is now earlier than ${new Date(now - MAX_SKEW_MS).toISOString().replace(/[-:]|\.\d{3}/g, '')}`);
  const signedHeaders = parts.get('SignedHeaders')!.split(';');
  if (!signedHeaders.includes('host')) throw denied("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  const payloadHash = headerText(request.headers['x-amz-content-sha256']);
  const bodyHash = sha256Hex(request.body);
  if (payloadHash !== undefined && payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== bodyHash) {
    throw denied('The provided \'x-amz-content-sha256\' header does not match what was computed.');
  }
  if (requirement.credentials !== undefined) {
    if (accessKeyId !== requirement.credentials.accessKeyId) throw denied('The security token included in the request is invalid.');
    const queryAt = request.rawUrl.indexOf('?');
    const path = queryAt < 0 ? request.rawUrl : request.rawUrl.slice(0, queryAt);
    const query = queryAt < 0 ? '' : request.rawUrl.slice(queryAt + 1);
    const canonicalHeaders = signedHeaders.map((name) => `${name}:${(headerText(request.headers[name]) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
    const canonicalRequest = [request.method, canonicalUri(path), canonicalQuery(query), canonicalHeaders, signedHeaders.join(';'), payloadHash ?? bodyHash].join('\n');
    const scope = `${date}/${region}/${service}/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
    const key = hmac(hmac(hmac(hmac(`AWS4${requirement.credentials.secretAccessKey}`, date!), region!), service), 'aws4_request');
    const expected = Buffer.from(createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex'));
    const given = Buffer.from(parts.get('Signature')!);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw denied('The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.');
    }
  }
  return accessKeyId;
}
