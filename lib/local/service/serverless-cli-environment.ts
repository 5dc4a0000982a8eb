/**
 * The environment the project's Serverless CLI runs in, locally and in tests: offline, with fake
 * credentials, no telemetry and no prompts.
 */

/** Variables that would let the CLI pick up a developer's real AWS identity. */
const REAL_IDENTITY_VARIABLES = [
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
] as const;

/**
 * `base` (the current environment by default) without any real AWS identity, plus fake
 * credentials, region eu-west-1, telemetry and notifications off and `CI=true`; then `extra`.
 */
export function serverlessCliEnvironment(
  extra: Readonly<Record<string, string>> = {},
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of REAL_IDENTITY_VARIABLES) delete env[name];
  return {
    ...env,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'eu-west-1',
    AWS_DEFAULT_REGION: 'eu-west-1',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    CI: 'true',
    ...extra,
  };
}
