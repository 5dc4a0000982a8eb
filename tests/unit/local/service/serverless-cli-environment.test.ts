import { serverlessCliEnvironment } from '../../../../lib/local/service';

describe('serverlessCliEnvironment', () => {
  const developer = {
    PATH: '/usr/bin',
    AWS_PROFILE: 'prod-admin',
    AWS_DEFAULT_PROFILE: 'prod-admin',
    AWS_SESSION_TOKEN: 'real-token',
    AWS_SHARED_CREDENTIALS_FILE: '/home/me/.aws/credentials',
    AWS_ACCESS_KEY_ID: 'AKIAREAL',
    AWS_REGION: 'us-east-1',
  };

  test('drops every way to a real AWS identity and sets fake credentials, eu-west-1, no telemetry', () => {
    const env = serverlessCliEnvironment({}, developer);
    for (const name of ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_SHARED_CREDENTIALS_FILE']) expect(env).not.toHaveProperty(name);
    expect(env).toMatchObject({
      PATH: '/usr/bin',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      CI: 'true',
    });
  });

  test('extra variables come last and win; the base environment is not changed', () => {
    const env = serverlessCliEnvironment({ AWS_REGION: 'eu-central-1', SCHEMA_NAME: 'clickstream' }, developer);
    expect(env.AWS_REGION).toBe('eu-central-1');
    expect(env.SCHEMA_NAME).toBe('clickstream');
    expect(developer.AWS_PROFILE).toBe('prod-admin');
  });
});
