import { InvalidRequestError } from '../common/errors';
import { checkRegistration, RegisterAgentInput } from './registration-input';

describe('checkRegistration: the REST registration rules for in-process agents', () => {
  const refused = (input: RegisterAgentInput): string => {
    try {
      checkRegistration(input);
      return 'accepted';
    } catch (error) {
      return error instanceof InvalidRequestError
        ? error.message
        : `not InvalidRequestError: ${String(error)}`;
    }
  };

  it('accepts what the REST layer accepts, at the limits', () => {
    expect(
      refused({
        id: 'nova',
        name: 'n'.repeat(128),
        description: 'd'.repeat(1024),
        capabilities: Array.from({ length: 64 }, () => 'c'.repeat(64)),
        metadata: { team: 'revenue', nested: { emoji: '\u{1F600}' } },
      }),
    ).toBe('accepted');
    expect(refused({ id: 'dexter' })).toBe('accepted');
  });

  it.each<[string, RegisterAgentInput, RegExp]>([
    ['a bad id', { id: 'Nova!' }, /^id must match/],
    ['the reserved id', { id: 'broadcast' }, /^id must match/],
    ['a long name', { id: 'nova', name: 'n'.repeat(129) }, /^name must be a string of at most 128/],
    ['a long description', { id: 'nova', description: 'd'.repeat(1025) }, /^description must be/],
    ['65 capabilities', { id: 'nova', capabilities: Array.from({ length: 65 }, () => 'c') }, /^capabilities/],
    ['an empty capability', { id: 'nova', capabilities: [''] }, /^capabilities/],
    ['a long capability', { id: 'nova', capabilities: ['c'.repeat(65)] }, /^capabilities/],
    ['NUL in the name', { id: 'nova', name: 'a\u0000b' }, /^name must not contain NUL/],
    [
      'a lone surrogate in a capability',
      { id: 'nova', capabilities: ['\uD800'] },
      /^capabilities\[0\] must not/,
    ],
    ['NUL in a metadata key', { id: 'nova', metadata: { 'k\u0000': 1 } }, /^the keys of metadata must not/],
    ['NUL in a metadata value', { id: 'nova', metadata: { k: ['\u0000'] } }, /^metadata\.k\[0\] must not/],
    [
      'metadata that is a list',
      { id: 'nova', metadata: [] as unknown as Record<string, unknown> },
      /JSON object/,
    ],
  ])('refuses %s with InvalidRequestError', (_what, input, message) => {
    expect(refused(input)).toMatch(message);
  });
});
