/**
 * The service definition of serverless.yml, resolved for a stage by the project's own Serverless
 * CLI (`serverless print --format json`), so names and settings come from the one source of truth.
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { serverlessCliEnvironment } from './serverless-cli-environment';
import type { ServiceDefinition } from './service-definition';

const execFileAsync = promisify(execFile);

/** The project root: the folder of serverless.yml and node_modules/.bin/serverless. */
export const PROJECT_ROOT = resolve(__dirname, '..', '..', '..');

/** Options of {@link loadServiceDefinition}. */
export interface LoadServiceDefinitionOptions {
  /** The stage to resolve (`--stage`). Default `dev`. */
  readonly stage?: string;
  /** `--region`; serverless.yml's default (eu-west-1) when absent. */
  readonly region?: string;
  /** The folder holding serverless.yml. Default {@link PROJECT_ROOT}. */
  readonly projectRoot?: string;
  /** Default 60 s. */
  readonly timeoutMs?: number;
}

/** `serverless print` failed, or printed something that is not a service definition. */
export class ServiceDefinitionLoadError extends Error {
  override readonly name = 'ServiceDefinitionLoadError';
  constructor(
    message: string,
    /** The CLI's standard error (its tail), when it ran. */
    readonly stderr = '',
    options?: ErrorOptions,
  ) {
    super(stderr ? `${message}\n${stderr}` : message, options);
  }
}

const cache = new Map<string, Promise<ServiceDefinition>>();

/** The JSON document in the CLI's output (anything it logs before it is skipped). */
function parseDefinition(stdout: string): ServiceDefinition {
  const start = stdout.search(/^\{/m);
  if (start === -1) throw new ServiceDefinitionLoadError('serverless print wrote no JSON object');
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout.slice(start));
  } catch (error) {
    throw new ServiceDefinitionLoadError(`serverless print wrote invalid JSON: ${(error as Error).message}`, '', { cause: error });
  }
  const candidate = parsed as Partial<ServiceDefinition> | null;
  if (candidate === null || typeof candidate !== 'object' || typeof candidate.service !== 'string' || typeof candidate.provider !== 'object') {
    throw new ServiceDefinitionLoadError('serverless print wrote JSON without "service" and "provider"');
  }
  return deepFreeze(candidate as ServiceDefinition);
}

/** Frozen all the way down: one parsed definition is shared by every caller in the process. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

async function printServiceDefinition(projectRoot: string, stage: string, region: string | undefined, timeoutMs: number): Promise<ServiceDefinition> {
  const args = ['print', '--format', 'json', '--stage', stage, ...(region === undefined ? [] : ['--region', region])];
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(join(projectRoot, 'node_modules', '.bin', 'serverless'), args, {
      cwd: projectRoot,
      env: serverlessCliEnvironment(),
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
      encoding: 'utf8',
    }));
  } catch (error) {
    const failure = error as { code?: number | string; signal?: string; stderr?: string; stdout?: string };
    const output = (failure.stderr || failure.stdout || '').slice(-8000);
    throw new ServiceDefinitionLoadError(
      `serverless ${args.join(' ')} failed in ${projectRoot} (${String(failure.code ?? failure.signal ?? (error as Error).message)})`,
      output,
      { cause: error },
    );
  }
  return parseDefinition(stdout);
}

/**
 * The service definition for a stage, variables resolved (CloudFormation intrinsics are left for
 * the intrinsic resolver). Runs the CLI once per project, stage and region in this process (about
 * 3 s) and shares the result, deeply frozen; a failed run is not cached. Throws
 * {@link ServiceDefinitionLoadError}.
 */
export function loadServiceDefinition(options: LoadServiceDefinitionOptions = {}): Promise<ServiceDefinition> {
  const projectRoot = resolve(options.projectRoot ?? PROJECT_ROOT);
  const stage = options.stage ?? 'dev';
  const key = JSON.stringify([projectRoot, stage, options.region ?? null]);
  let pending = cache.get(key);
  if (pending === undefined) {
    pending = printServiceDefinition(projectRoot, stage, options.region, options.timeoutMs ?? 60_000);
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  return pending;
}
