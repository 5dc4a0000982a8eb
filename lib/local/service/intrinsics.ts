/**
 * A small resolver of CloudFormation intrinsic functions, for the values the local runtime needs
 * (resource names, ARNs in redrive policies, numbers): `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`,
 * `Fn::Select`, `Fn::Split`, `Fn::If` with `Conditions`, and the pseudo parameters. Anything else
 * (`Fn::ImportValue`, `Fn::FindInMap`, template parameters…) is an {@link UnresolvableIntrinsicError}.
 */
import type { JsonValue } from './service-definition';

/** The pseudo parameters of the local "account". */
export interface PseudoParameters {
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  readonly stackName: string;
  readonly urlSuffix: string;
}

/** The local account: region eu-west-1, account 000000000000 (what the emulators use). */
export const LOCAL_PSEUDO_PARAMETERS: Omit<PseudoParameters, 'stackName'> = {
  region: 'eu-west-1',
  accountId: '000000000000',
  partition: 'aws',
  urlSuffix: 'amazonaws.com',
};

/** A resource's `Ref` or attribute value, or why there is none (yet). */
export type LookupResult = { readonly value: string } | { readonly unresolved: string };

/** Where `Ref` and `Fn::GetAtt` of resources find their values: the resources created so far. */
export interface ResourceLookup {
  ref(logicalId: string): LookupResult;
  getAtt(logicalId: string, attribute: string): LookupResult;
}

/** A value the resolver cannot work out locally; `path` says where it is in the definition. */
export class UnresolvableIntrinsicError extends Error {
  override readonly name = 'UnresolvableIntrinsicError';
  constructor(
    /** Where the value is, e.g. `Resources.Queue.Properties.RedrivePolicy.deadLetterTargetArn`. */
    readonly path: string,
    /** Why it cannot be resolved. */
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/** `Fn::GetAtt` as `[LogicalId, Attribute]` or `"LogicalId.Attribute"`. */
function getAttParts(argument: JsonValue, path: string): [string, string] {
  if (Array.isArray(argument) && argument.length === 2 && typeof argument[0] === 'string' && typeof argument[1] === 'string') {
    return [argument[0], argument[1]];
  }
  if (typeof argument === 'string' && argument.includes('.')) {
    const dot = argument.indexOf('.');
    return [argument.slice(0, dot), argument.slice(dot + 1)];
  }
  throw new UnresolvableIntrinsicError(path, `Fn::GetAtt needs [LogicalId, Attribute], got ${JSON.stringify(argument)}`);
}

/** The single key of an object that is an intrinsic function call (`Ref`, `Fn::…`, `Condition`), if it is one. */
function intrinsicName(value: JsonValue): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const key = keys[0]!;
  return key === 'Ref' || key.startsWith('Fn::') || key === 'Condition' ? key : undefined;
}

const SUB_PLACEHOLDER = /\$\{([^}]*)\}/g;

/**
 * The logical ids of resources a value refers to (through `Ref`, `Fn::GetAtt` and `Fn::Sub`),
 * pseudo parameters excluded: what must exist before the value can be resolved.
 */
export function referencedLogicalIds(value: JsonValue | undefined): Set<string> {
  const found = new Set<string>();
  const visit = (node: JsonValue | undefined): void => {
    if (node === null || node === undefined || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    const fn = intrinsicName(node);
    const argument = fn === undefined ? undefined : node[fn];
    if (fn === 'Ref' && typeof argument === 'string') {
      if (!argument.startsWith('AWS::')) found.add(argument);
    } else if (fn === 'Fn::GetAtt' && argument !== undefined) {
      try {
        found.add(getAttParts(argument, '')[0]);
      } catch {
        // Malformed: the resolver reports it with its path.
      }
    } else if (fn === 'Fn::Sub' && argument !== undefined) {
      const [template, variables] = Array.isArray(argument) ? [argument[0], argument[1]] : [argument, undefined];
      const own = variables !== null && typeof variables === 'object' && !Array.isArray(variables) ? new Set(Object.keys(variables)) : new Set<string>();
      if (typeof template === 'string') {
        for (const [, name] of template.matchAll(SUB_PLACEHOLDER)) {
          if (name === undefined || name.startsWith('!') || name.startsWith('AWS::') || own.has(name)) continue;
          found.add(name.split('.')[0]!);
        }
      }
      visit(variables);
      return;
    }
    Object.values(node).forEach(visit);
  };
  visit(value);
  return found;
}

/** Resolves intrinsic functions against pseudo parameters, conditions and the resources created so far. */
export class IntrinsicResolver {
  constructor(
    private readonly pseudo: PseudoParameters,
    private readonly resources: ResourceLookup,
    /** `resources.Conditions` of the definition, for `Fn::If` and a resource's `Condition`. */
    private readonly conditions: Readonly<Record<string, JsonValue>> = {},
  ) {}

  /**
   * The value with every intrinsic replaced by what it stands for; `undefined` for
   * `Ref: AWS::NoValue` (which also removes the key or list item holding it).
   */
  resolve(value: JsonValue, path: string): JsonValue | undefined {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) {
      return value.flatMap((item, i) => {
        const resolved = this.resolve(item, `${path}[${i}]`);
        return resolved === undefined ? [] : [resolved];
      });
    }
    const fn = intrinsicName(value);
    if (fn !== undefined && fn !== 'Condition') return this.call(fn, value[fn]!, `${path}.${fn}`);
    const out: Record<string, JsonValue> = {};
    for (const [key, item] of Object.entries(value)) {
      const resolved = this.resolve(item, `${path}.${key}`);
      if (resolved !== undefined) out[key] = resolved;
    }
    return out;
  }

  /** Resolves a value that must be a string (numbers are written out). */
  resolveString(value: JsonValue, path: string): string {
    const resolved = this.resolve(value, path);
    if (typeof resolved === 'string') return resolved;
    if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
    throw new UnresolvableIntrinsicError(path, `expected a string, got ${JSON.stringify(resolved) ?? 'nothing (AWS::NoValue)'}`);
  }

  /** Resolves a value that must be a number (numeric strings, as YAML may give, are read). */
  resolveNumber(value: JsonValue, path: string): number {
    const resolved = this.resolve(value, path);
    const number = typeof resolved === 'string' && resolved.trim() !== '' ? Number(resolved) : resolved;
    if (typeof number === 'number' && Number.isFinite(number)) return number;
    throw new UnresolvableIntrinsicError(path, `expected a number, got ${JSON.stringify(resolved) ?? 'nothing (AWS::NoValue)'}`);
  }

  /** Resolves a value that must be a boolean (`"true"`/`"false"` strings are read). */
  resolveBoolean(value: JsonValue, path: string): boolean {
    const resolved = this.resolve(value, path);
    if (typeof resolved === 'boolean') return resolved;
    if (resolved === 'true' || resolved === 'false') return resolved === 'true';
    throw new UnresolvableIntrinsicError(path, `expected a boolean, got ${JSON.stringify(resolved) ?? 'nothing (AWS::NoValue)'}`);
  }

  /** The value of the condition `name` of `resources.Conditions`. */
  evaluateCondition(name: string, path = `Conditions.${name}`): boolean {
    const condition = this.conditions[name];
    if (condition === undefined) throw new UnresolvableIntrinsicError(path, `no condition named "${name}" in resources.Conditions`);
    return this.evaluateConditionValue(condition, `Conditions.${name}`);
  }

  private evaluateConditionValue(value: JsonValue, path: string): boolean {
    const fn = intrinsicName(value);
    const argument = fn === undefined ? undefined : (value as Record<string, JsonValue>)[fn];
    const list = (count?: number): JsonValue[] => {
      if (!Array.isArray(argument) || (count !== undefined && argument.length !== count)) {
        throw new UnresolvableIntrinsicError(`${path}.${fn}`, `expected a list${count === undefined ? '' : ` of ${count}`}, got ${JSON.stringify(argument)}`);
      }
      return argument;
    };
    switch (fn) {
      case 'Condition':
        if (typeof argument !== 'string') throw new UnresolvableIntrinsicError(path, 'Condition needs a condition name');
        return this.evaluateCondition(argument, path);
      case 'Fn::Equals': {
        // Compared as text, as CloudFormation does (`true` equals `"true"`, `1` equals `"1"`).
        const [a, b] = list(2).map((item, i) => {
          const resolved = this.resolve(item, `${path}.Fn::Equals[${i}]`);
          return resolved !== null && typeof resolved === 'object' ? JSON.stringify(resolved) : String(resolved);
        });
        return a === b;
      }
      case 'Fn::Not':
        return !this.evaluateConditionValue(list(1)[0]!, `${path}.Fn::Not[0]`);
      case 'Fn::And':
        return list().every((item, i) => this.evaluateConditionValue(item, `${path}.Fn::And[${i}]`));
      case 'Fn::Or':
        return list().some((item, i) => this.evaluateConditionValue(item, `${path}.Fn::Or[${i}]`));
      default:
        throw new UnresolvableIntrinsicError(path, `not a condition function: ${JSON.stringify(value)}`);
    }
  }

  private call(fn: string, argument: JsonValue, path: string): JsonValue | undefined {
    switch (fn) {
      case 'Ref':
        if (typeof argument !== 'string') throw new UnresolvableIntrinsicError(path, `Ref needs a name, got ${JSON.stringify(argument)}`);
        return this.ref(argument, path);
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = getAttParts(argument, path);
        return this.lookup(this.resources.getAtt(logicalId, attribute), path);
      }
      case 'Fn::Sub':
        return this.sub(argument, path);
      case 'Fn::Join': {
        if (!Array.isArray(argument) || argument.length !== 2 || typeof argument[0] !== 'string') {
          throw new UnresolvableIntrinsicError(path, `Fn::Join needs [delimiter, [values]], got ${JSON.stringify(argument)}`);
        }
        const items = this.resolve(argument[1]!, `${path}[1]`);
        if (!Array.isArray(items)) throw new UnresolvableIntrinsicError(path, `Fn::Join needs a list of values, got ${JSON.stringify(items)}`);
        return items.map((item, i) => this.scalarText(item, `${path}[1][${i}]`)).join(argument[0]);
      }
      case 'Fn::Select': {
        if (!Array.isArray(argument) || argument.length !== 2) throw new UnresolvableIntrinsicError(path, 'Fn::Select needs [index, [values]]');
        const index = this.resolveNumber(argument[0]!, `${path}[0]`);
        const items = this.resolve(argument[1]!, `${path}[1]`);
        if (!Array.isArray(items) || !Number.isInteger(index) || index < 0 || index >= items.length) {
          throw new UnresolvableIntrinsicError(path, `Fn::Select index ${index} is not in ${JSON.stringify(items)}`);
        }
        return items[index];
      }
      case 'Fn::Split': {
        if (!Array.isArray(argument) || argument.length !== 2 || typeof argument[0] !== 'string') {
          throw new UnresolvableIntrinsicError(path, 'Fn::Split needs [delimiter, string]');
        }
        return this.resolveString(argument[1]!, `${path}[1]`).split(argument[0]);
      }
      case 'Fn::If': {
        if (!Array.isArray(argument) || argument.length !== 3 || typeof argument[0] !== 'string') {
          throw new UnresolvableIntrinsicError(path, 'Fn::If needs [condition, valueIfTrue, valueIfFalse]');
        }
        return this.evaluateCondition(argument[0], path) ? this.resolve(argument[1]!, `${path}[1]`) : this.resolve(argument[2]!, `${path}[2]`);
      }
      default:
        throw new UnresolvableIntrinsicError(path, `${fn} is not supported locally`);
    }
  }

  private ref(name: string, path: string): string | undefined {
    switch (name) {
      case 'AWS::Region':
        return this.pseudo.region;
      case 'AWS::AccountId':
        return this.pseudo.accountId;
      case 'AWS::Partition':
        return this.pseudo.partition;
      case 'AWS::StackName':
        return this.pseudo.stackName;
      case 'AWS::URLSuffix':
        return this.pseudo.urlSuffix;
      case 'AWS::NoValue':
        return undefined;
      default:
        if (name.startsWith('AWS::')) throw new UnresolvableIntrinsicError(path, `the pseudo parameter ${name} has no local value`);
        return this.lookup(this.resources.ref(name), path);
    }
  }

  private lookup(result: LookupResult, path: string): string {
    if ('value' in result) return result.value;
    throw new UnresolvableIntrinsicError(path, result.unresolved);
  }

  private scalarText(value: JsonValue | undefined, path: string): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw new UnresolvableIntrinsicError(path, `expected a string, got ${JSON.stringify(value) ?? 'nothing (AWS::NoValue)'}`);
  }

  private sub(argument: JsonValue, path: string): string {
    const [template, variables] = Array.isArray(argument) ? [argument[0], argument[1]] : [argument, undefined];
    if (typeof template !== 'string') throw new UnresolvableIntrinsicError(path, `Fn::Sub needs a template string, got ${JSON.stringify(argument)}`);
    const own: Record<string, string> = {};
    if (variables !== undefined) {
      if (variables === null || typeof variables !== 'object' || Array.isArray(variables)) {
        throw new UnresolvableIntrinsicError(path, 'Fn::Sub variables must be a map');
      }
      for (const [key, item] of Object.entries(variables)) own[key] = this.resolveString(item, `${path}[1].${key}`);
    }
    return template.replace(SUB_PLACEHOLDER, (placeholder, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      if (Object.hasOwn(own, name)) return own[name]!;
      if (name.startsWith('AWS::')) return this.scalarText(this.ref(name, `${path} ${placeholder}`), `${path} ${placeholder}`);
      const dot = name.indexOf('.');
      const result = dot === -1 ? this.resources.ref(name) : this.resources.getAtt(name.slice(0, dot), name.slice(dot + 1));
      return this.lookup(result, `${path} ${placeholder}`);
    });
  }
}
