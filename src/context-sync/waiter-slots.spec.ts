import { Logger } from '@nestjs/common';
import { TooManyRequestsError } from '../common/errors';
import { WAITER_RETRY_AFTER_SECONDS, WaiterSlots } from './waiter-slots';

describe('WaiterSlots', () => {
  const logger = { warn: jest.fn() } as unknown as Logger & { warn: jest.Mock };
  let clock = 0;

  beforeEach(() => {
    logger.warn.mockClear();
    clock = 1_000_000;
  });

  it('refuses beyond the limit with a 429 that carries Retry-After, and frees a slot on release', () => {
    const slots = new WaiterSlots(2, logger, () => clock);
    const a = slots.acquire();
    slots.acquire();
    expect(slots.inUse).toBe(2);
    const refused = (() => {
      try {
        slots.acquire();
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(TooManyRequestsError);
    expect(refused).toMatchObject({ status: 429, retryAfterSeconds: WAITER_RETRY_AFTER_SECONDS });
    a.release();
    a.release();
    expect(slots.inUse).toBe(1);
    expect(() => slots.acquire()).not.toThrow();
  });

  it('logs refusals at most once a minute, with how many there were', () => {
    const slots = new WaiterSlots(0, logger, () => clock);
    for (let i = 0; i < 1000; i++) expect(() => slots.acquire()).toThrow(TooManyRequestsError);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    clock += 59_000;
    expect(() => slots.acquire()).toThrow(TooManyRequestsError);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    clock += 1_000;
    expect(() => slots.acquire()).toThrow(TooManyRequestsError);
    expect(logger.warn).toHaveBeenCalledTimes(2);
    expect(logger.warn.mock.calls[1][0]).toContain('1001 refused');
  });
});
