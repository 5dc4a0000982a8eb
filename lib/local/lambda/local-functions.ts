/**
 * The service's functions, run in this process the way Lambda runs them: the handler module
 * named in serverless.yml (`functions/<file>.<export>`), the provider's and the function's
 * environment, and a context with the function's name, memory and timeout.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { localLambdaContext } from './context';

export interface FunctionDefinition {
  readonly handler: string;
  readonly name?: string;
  readonly environment?: Readonly<Record<string, string>>;
  readonly timeout?: number;
  readonly memorySize?: number;
}

/** The parts of a resolved service definition (`serverless print`) that functions need. */
export interface FunctionsService {
  readonly service: string;
  readonly provider: { readonly stage?: string; readonly region?: string; readonly environment?: Readonly<Record<string, string>>; readonly timeout?: number; readonly memorySize?: number };
  readonly functions?: Readonly<Record<string, FunctionDefinition>>;
}

export class UnknownFunctionError extends Error {
  override readonly name = 'UnknownFunctionError';
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** Serverless's CloudFormation logical id of a function: `firehoseCsvToJson` → `FirehoseCsvToJsonLambdaFunction`. */
export function functionLogicalId(key: string): string {
  return `${key.charAt(0).toUpperCase()}${key.slice(1)}`.replace(/-/g, 'Dash').replace(/_/g, 'Underscore') + 'LambdaFunction';
}

export class LocalFunctions {
  private readonly handlers = new Map<string, Promise<Handler>>();
  private readonly stage: string;
  private readonly region: string;

  constructor(
    private readonly service: FunctionsService,
    private readonly root: string,
    /** Extra environment for every function, e.g. `AWS_ENDPOINT_URL_*` pointing at emulators. */
    private readonly environment: Readonly<Record<string, string>> = {},
    private readonly accountId = '000000000000',
  ) {
    this.stage = service.provider.stage ?? 'dev';
    this.region = service.provider.region ?? 'eu-west-1';
  }

  /** The deployed name of a function (`<service>-<stage>-<key>` unless named). */
  nameOf(key: string): string {
    return this.definition(key).name ?? `${this.service.service}-${this.stage}-${key}`;
  }

  arnOf(key: string): string {
    return `arn:aws:lambda:${this.region}:${this.accountId}:function:${this.nameOf(key)}`;
  }

  /** The function key for a logical id, name or ARN (qualified or not). */
  keyOf(reference: string): string {
    const keys = Object.keys(this.service.functions ?? {});
    const name = reference.startsWith('arn:') ? reference.split(':')[6] : reference;
    const key = keys.find((k) => k === name || functionLogicalId(k) === name || this.nameOf(k) === name);
    if (!key) throw new UnknownFunctionError(`no function ${reference} in service ${this.service.service}; known: ${keys.join(', ')}`);
    return key;
  }

  /** Invokes a function by key, logical id, name or ARN, as a synchronous (RequestResponse) Lambda invocation. */
  async invoke(reference: string, event: unknown): Promise<unknown> {
    const key = this.keyOf(reference);
    const definition = this.definition(key);
    this.applyEnvironment(key);
    const handler = await this.load(key);
    const context = localLambdaContext({
      functionName: this.nameOf(key), region: this.region, accountId: this.accountId,
      memoryLimitInMB: definition.memorySize ?? this.service.provider.memorySize ?? 1024,
      timeoutSeconds: definition.timeout ?? this.service.provider.timeout ?? 6,
    });
    // Round-trip through JSON, as Lambda does: the handler gets and gives plain JSON.
    const result = await handler(JSON.parse(JSON.stringify(event)) as unknown, context);
    return result === undefined ? null : (JSON.parse(JSON.stringify(result)) as unknown);
  }

  private definition(key: string): FunctionDefinition {
    const definition = this.service.functions?.[key];
    if (!definition) throw new UnknownFunctionError(`no function ${key} in service ${this.service.service}`);
    return definition;
  }

  private applyEnvironment(key: string): void {
    Object.assign(process.env, {
      AWS_REGION: this.region, AWS_LAMBDA_FUNCTION_NAME: this.nameOf(key),
      ...this.service.provider.environment, ...this.definition(key).environment, ...this.environment,
    });
  }

  private load(key: string): Promise<Handler> {
    let handler = this.handlers.get(key);
    if (!handler) {
      const spec = this.definition(key).handler;
      const dot = spec.lastIndexOf('.');
      const file = join(this.root, spec.slice(0, dot));
      const exportName = spec.slice(dot + 1);
      handler = import(pathToFileURL(`${file}.ts`).href).then((module: Record<string, unknown>) => {
        const found = module[exportName] ?? (module.default as Record<string, unknown> | undefined)?.[exportName];
        if (typeof found !== 'function') throw new UnknownFunctionError(`${spec}: ${file}.ts exports no function "${exportName}"`);
        return found as Handler;
      });
      this.handlers.set(key, handler);
    }
    return handler;
  }
}
