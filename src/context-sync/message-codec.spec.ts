import {
  compareEntryIds,
  fieldsOf,
  parseLocation,
  toContextMessage,
  toDeadLetter,
  toEntryFields,
} from './message-codec';

describe('message codec', () => {
  const stored = fieldsOf(
    toEntryFields({
      id: '8ab8a3aa-a900-433d-abcc-4d10b12ae564',
      fromAgent: 'nova',
      type: 'sales_data',
      payload: { revenue: 150000 },
      timestampMs: Date.UTC(2025, 10, 13, 14),
    }),
  );

  it('round-trips a message through stream fields', () => {
    expect(toContextMessage(stored, 'high', 'dexter', 2)).toEqual({
      id: '8ab8a3aa-a900-433d-abcc-4d10b12ae564',
      fromAgent: 'nova',
      toAgent: 'dexter',
      timestamp: '2025-11-13T14:00:00.000Z',
      payload: { revenue: 150000 },
      priority: 'high',
      type: 'sales_data',
      deliveryCount: 2,
      inReplyTo: null,
      expiresAt: null,
      deliverAt: null,
      routedBy: null,
    });
  });

  it('reads the expiry of a message with a TTL', () => {
    const message = toContextMessage(
      { ...stored, ex: String(Date.parse('2025-11-13T14:05:00.000Z')) },
      'low',
      'x',
      0,
    );
    expect(message.expiresAt).toBe('2025-11-13T14:05:00.000Z');
  });

  it('carries when a delayed message was due', () => {
    const due = toContextMessage(
      { ...stored, da: String(Date.parse('2025-11-13T14:05:00.000Z')) },
      'high',
      'dexter',
      0,
    );
    expect(due.deliverAt).toBe('2025-11-13T14:05:00.000Z');
  });

  it('gives null for a missing type and keeps broadcast recipients', () => {
    const fields = { ...stored, ty: '', to: 'broadcast' };
    const message = toContextMessage(fields, 'low', 'dexter', 0);
    expect(message.type).toBeNull();
    expect(message.toAgent).toBe('broadcast');
  });

  it('reads dead letters with their reason, time and delivery count', () => {
    const dead = toDeadLetter(
      { ...stored, pr: '0', dc: '5', deadAt: String(Date.UTC(2025, 0, 1)), reason: 'max_deliveries' },
      'dexter',
    );
    expect(dead).toMatchObject({
      priority: 'critical',
      deliveryCount: 5,
      reason: 'max_deliveries',
      deadAt: '2025-01-01T00:00:00.000Z',
    });
  });

  it('reads a dead letter without detail as detail null, and a rejection with its detail', () => {
    const base = { ...stored, pr: '2', dc: '1', deadAt: '0' };
    expect(toDeadLetter({ ...base, reason: 'max_deliveries' }, 'dexter').detail).toBeNull();
    expect(toDeadLetter({ ...base, reason: 'rejected', detail: 'bad input' }, 'dexter')).toMatchObject({
      reason: 'rejected',
      detail: 'bad input',
    });
  });

  it('compares stream ids numerically, not as text', () => {
    expect(compareEntryIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareEntryIds('10-2', '10-10')).toBeLessThan(0);
    expect(compareEntryIds('10-1', '10-1')).toBe(0);
    expect(parseLocation('3 1700000000000-4')).toEqual({ priority: 'low', entryId: '1700000000000-4' });
  });
});
