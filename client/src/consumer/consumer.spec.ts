import { NotFoundError } from '../errors';
import { Consumer, ConsumerClient, defaultNackDelay, isMissingRoute } from './consumer';

describe('consumer rules', () => {
  it('tells a route the server lacks from a message it does not know', () => {
    const notFound = (message: string) => new NotFoundError({ statusCode: 404, error: 'Not Found', message });
    expect(isMissingRoute(notFound('Cannot POST /v1/messages/6f1c/nack'))).toBe(true);
    expect(isMissingRoute(notFound('Route POST:/v1/messages/6f1c/lease not found'))).toBe(true);
    expect(isMissingRoute(notFound("message '6f1c' is not addressed to agent 'kai'"))).toBe(false);
    expect(isMissingRoute(new Error('Cannot POST /v1/x'))).toBe(false);
  });

  it('backs nacks off exponentially from 1 s up to 60 s', () => {
    expect([1, 2, 3, 6, 7, 20].map(defaultNackDelay)).toEqual([1000, 2000, 4000, 32000, 60000, 60000]);
  });

  it('refuses options the server would answer 400 to forever', () => {
    const client = {} as ConsumerClient;
    const base = { agentId: 'kai', consumer: 'c1', handler: () => undefined };
    expect(() => Consumer.start(client, { ...base, waitMs: 60000 })).toThrow(/waitMs/);
    expect(() => Consumer.start(client, { ...base, count: 0 })).toThrow(/count/);
    expect(() => Consumer.start(client, { ...base, concurrency: 1.5 })).toThrow(/concurrency/);
  });
});
