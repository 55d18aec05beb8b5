import { validateEnvironment } from './environment';
import { toBrainConfig } from './brain.config';

describe('validateEnvironment', () => {
  it('applies the documented defaults', () => {
    const env = validateEnvironment({});
    expect(env.PORT).toBe(3000);
    expect(env.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(env.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/brain');
    expect(env.BRAIN_STREAM_MAXLEN).toBe(10000);
    expect(env.BRAIN_MAX_DELIVERIES).toBe(5);
    expect(env.BRAIN_AUTH).toBe(true);
  });

  it('names the variable and the value when a setting is bad', () => {
    expect(() => validateEnvironment({ PORT: 'abc' })).toThrow(/Invalid environment: PORT="abc"/);
    expect(() => validateEnvironment({ BRAIN_AUTH: 'maybe' })).toThrow(
      /BRAIN_AUTH="maybe" \(must be on or off\)/,
    );
    expect(() => validateEnvironment({ REDIS_URL: 'http://x' })).toThrow(/REDIS_URL/);
  });

  it('reads on/off switches and cluster node lists', () => {
    const config = toBrainConfig(
      validateEnvironment({ BRAIN_AUTH: 'off', REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1:7001' }),
    );
    expect(config.auth.enabled).toBe(false);
    expect(config.redis.clusterNodes).toEqual([
      { host: '127.0.0.1', port: 7000 },
      { host: '127.0.0.1', port: 7001 },
    ]);
  });

  it('refuses to run in production with auth on and no admin token', () => {
    expect(() => toBrainConfig(validateEnvironment({ NODE_ENV: 'production' }))).toThrow(/BRAIN_ADMIN_TOKEN/);
  });
});
