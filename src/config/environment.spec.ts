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

  it('runs one process unless BRAIN_WORKERS asks for more (1 to 256)', () => {
    expect(toBrainConfig(validateEnvironment({})).workers).toBe(1);
    expect(toBrainConfig(validateEnvironment({ BRAIN_WORKERS: '2' })).workers).toBe(2);
    expect(toBrainConfig(validateEnvironment({ BRAIN_WORKERS: '1' })).workers).toBe(1);
    expect(() => validateEnvironment({ BRAIN_WORKERS: '0' })).toThrow(
      /BRAIN_WORKERS="0" \(must be an integer/,
    );
    expect(() => validateEnvironment({ BRAIN_WORKERS: 'all' })).toThrow(/BRAIN_WORKERS="all"/);
  });

  it('archives in a worker thread unless BRAIN_ARCHIVER=inline', () => {
    expect(toBrainConfig(validateEnvironment({})).archive.mode).toBe('thread');
    expect(toBrainConfig(validateEnvironment({ BRAIN_ARCHIVER: 'inline' })).archive.mode).toBe('inline');
    expect(() => validateEnvironment({ BRAIN_ARCHIVER: 'process' })).toThrow(
      /BRAIN_ARCHIVER="process" \(must be thread or inline\)/,
    );
  });

  it('is plain data, which the archive thread receives as a structured clone', () => {
    for (const BRAIN_TRUST_PROXY of ['2', '10.0.0.0/8', undefined]) {
      const config = toBrainConfig(validateEnvironment({ BRAIN_TRUST_PROXY }));
      expect(structuredClone(config)).toEqual(config);
    }
  });

  it('refuses to run in production with auth on and no admin token', () => {
    expect(() => toBrainConfig(validateEnvironment({ NODE_ENV: 'production' }))).toThrow(/BRAIN_ADMIN_TOKEN/);
  });
});

describe('start-up refusals', () => {
  it('refuses BRAIN_AUTH=off in production, and only there', () => {
    expect(() =>
      toBrainConfig(
        validateEnvironment({
          NODE_ENV: 'production',
          BRAIN_AUTH: 'off',
          BRAIN_ADMIN_TOKEN: 'x7Kp2mQ9vR4tZ8wL',
        }),
      ),
    ).toThrow(/^Invalid environment: BRAIN_AUTH="off" \(not allowed in production\)$/);
    expect(
      toBrainConfig(validateEnvironment({ NODE_ENV: 'development', BRAIN_AUTH: 'off' })).auth.enabled,
    ).toBe(false);
  });

  it.each([
    'change-me-to-a-long-random-secret',
    'changemechangeme',
    'admin-admin-admin-admin',
    'Password123456789',
    'secret-secret-secret',
    'aaaaaaaaaaaaaaaaaaaa',
    'abababababababababab',
    '1234567890123456',
    `${'changeme'.repeat(63)}!`,
  ])('refuses the guessable admin token %j in every environment, without echoing it', (token) => {
    for (const NODE_ENV of ['production', 'development', 'test']) {
      const start = () => toBrainConfig(validateEnvironment({ NODE_ENV, BRAIN_ADMIN_TOKEN: token }));
      expect(start).toThrow(/^Invalid environment: BRAIN_ADMIN_TOKEN \(.*easy to guess/);
      expect(start).not.toThrow(token);
    }
  });

  it.each(['test-admin-token-0123456789abcdef', 'x7Kp2mQ9vR4tZ8wL', 'n3w-Adm1n-T0ken-for-brain'])(
    'accepts the admin token %j',
    (token) => {
      expect(
        toBrainConfig(validateEnvironment({ NODE_ENV: 'production', BRAIN_ADMIN_TOKEN: token })).auth
          .adminToken,
      ).toBe(token);
    },
  );
});
