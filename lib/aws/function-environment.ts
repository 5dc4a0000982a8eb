/** Reading a function's environment (set by serverless.yml), with a clear error for what is missing. */

/** A required environment variable is missing: a deployment error, reported at the first invocation. */
export class MissingEnvironmentError extends Error {
  override readonly name = 'MissingEnvironmentError';

  constructor(readonly variable: string) {
    super(`environment variable ${variable} is not set (serverless.yml declares it for this function)`);
  }
}

export function requiredEnv(variable: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[variable];
  if (value === undefined || value === '') throw new MissingEnvironmentError(variable);
  return value;
}
