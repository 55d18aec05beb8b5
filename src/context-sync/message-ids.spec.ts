import { MESSAGE_ID_PATTERN } from '../common/ids';
import { pairTag, taggedMessageId, tagOf } from './message-ids';

describe('tagged message ids', () => {
  it('are lowercase uuids of version 8 and RFC variant, carrying the tag of their pair', () => {
    const tag = pairTag('nova kai');
    const id = taggedMessageId(tag);
    expect(id).toMatch(MESSAGE_ID_PATTERN);
    expect(id[14]).toBe('8');
    expect('89ab').toContain(id[19]);
    expect(tagOf(id)).toBe(tag);
  });

  it('differ from one another for the same pair', () => {
    const tag = pairTag('nova broadcast');
    const ids = new Set(Array.from({ length: 1000 }, () => taggedMessageId(tag)));
    expect(ids.size).toBe(1000);
  });

  it('tag pairs apart and the same pair alike', () => {
    expect(pairTag('nova kai')).toMatch(/^[0-9a-f]{8}$/);
    expect(pairTag('nova kai')).toBe(pairTag('nova kai'));
    expect(pairTag('nova kai')).not.toBe(pairTag('kai nova'));
  });

  it('has no tag for an id of another version', () => {
    expect(tagOf('6f1c3a9e-2b7d-4c1e-9f0a-5d2e8b7c4a10')).toBeNull();
  });
});
