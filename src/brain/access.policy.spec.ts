import { Principal } from '../agents/auth/principal';
import {
  AgentNotFoundError,
  ForbiddenActionError,
  InvalidRequestError,
  MessageNotFoundError,
} from '../common/errors';
import { AccessPolicy } from './access.policy';
import { BrainAI } from './brain-ai.service';

describe('AccessPolicy', () => {
  const admin: Principal = { kind: 'admin' };
  const nova: Principal = { kind: 'agent', agentId: 'nova' };
  const registered = new Set(['nova', 'dexter']);
  const isRegistered = jest.fn((agentId: string) => Promise.resolve(registered.has(agentId)));
  // nova's current incarnation registered at this instant (an older one may have been deleted).
  const registeredAt = new Date('2026-01-02T00:00:00.000Z');
  const getAgent = (agentId: string) => Promise.resolve({ id: agentId, createdAt: registeredAt });
  const policy = new AccessPolicy({ isRegistered, getAgent } as unknown as BrainAI);

  beforeEach(() => isRegistered.mockClear());

  describe('requireAdmin', () => {
    it('lets the admin through', () => {
      expect(() => policy.requireAdmin(admin, 'clear everything')).not.toThrow();
    });

    it('refuses an agent with a 403 naming the action', () => {
      expect(() => policy.requireAdmin(nova, 'clear everything')).toThrow(
        new ForbiddenActionError('only the admin may clear everything'),
      );
    });
  });

  describe('actAs', () => {
    it('lets an agent act as itself without asking who is registered', async () => {
      await expect(policy.actAs(nova, 'nova')).resolves.toBeUndefined();
      expect(isRegistered).not.toHaveBeenCalled();
    });

    it('refuses an agent acting as another agent', async () => {
      await expect(policy.actAs(nova, 'dexter')).rejects.toThrow(
        new ForbiddenActionError("agent 'nova' may not act as agent 'dexter'"),
      );
    });

    it('lets the admin act for a registered agent', async () => {
      await expect(policy.actAs(admin, 'dexter')).resolves.toBeUndefined();
      expect(isRegistered).toHaveBeenCalledWith('dexter');
    });

    it('answers the admin 404 for an agent that is not registered', async () => {
      await expect(policy.actAs(admin, 'ghost')).rejects.toBeInstanceOf(AgentNotFoundError);
    });
  });

  describe('readAs', () => {
    it('lets an agent read when it is one of the agents named', () => {
      expect(() => policy.readAs(nova, 'dexter', 'nova')).not.toThrow();
    });

    it('refuses an agent that is none of them, naming them all', () => {
      expect(() => policy.readAs(nova, 'dexter', 'orion')).toThrow(
        new ForbiddenActionError("agent 'nova' may not act as agent 'dexter' or 'orion'"),
      );
    });

    it('lets the admin read anyone, even an agent that is gone (no registration check)', () => {
      expect(() => policy.readAs(admin, 'ghost')).not.toThrow();
      expect(isRegistered).not.toHaveBeenCalled();
    });
  });

  describe('senderOf', () => {
    it('is the calling agent, whether or not it repeats its own id', () => {
      expect(policy.senderOf(nova, undefined)).toBe('nova');
      expect(policy.senderOf(nova, 'nova')).toBe('nova');
    });

    it('refuses an agent sending as another', () => {
      expect(() => policy.senderOf(nova, 'dexter')).toThrow(ForbiddenActionError);
    });

    it('is whom the admin names, and the admin must name one', () => {
      expect(policy.senderOf(admin, 'dexter')).toBe('dexter');
      expect(() => policy.senderOf(admin, undefined)).toThrow(
        new InvalidRequestError('sourceAgent is required when the admin publishes'),
      );
      expect(() => policy.senderOf(admin, '')).toThrow(InvalidRequestError);
    });
  });

  describe('recipientOf', () => {
    it('is the calling agent, whether or not it repeats its own id', () => {
      expect(policy.recipientOf(nova, undefined)).toBe('nova');
      expect(policy.recipientOf(nova, 'nova')).toBe('nova');
    });

    it('refuses an agent acknowledging for another', () => {
      expect(() => policy.recipientOf(nova, 'dexter')).toThrow(ForbiddenActionError);
    });

    it('is whom the admin names, and the admin must name one', () => {
      expect(policy.recipientOf(admin, 'dexter')).toBe('dexter');
      expect(() => policy.recipientOf(admin, undefined)).toThrow(
        new InvalidRequestError('agentId is required when the admin acknowledges'),
      );
    });
  });

  describe('assertCanRead', () => {
    const id = '8ab8a3aa-a900-433d-abcc-4d10b12ae564';

    const sent = (fromAgent: string, timestamp = '2026-01-02T00:00:00.000Z') => ({ fromAgent, timestamp });

    it('shows a message to its sender, its recipients and the admin', async () => {
      await expect(policy.assertCanRead(nova, id, sent('nova'), ['dexter'])).resolves.toBeUndefined();
      await expect(
        policy.assertCanRead(nova, id, sent('dexter'), ['orion', 'nova']),
      ).resolves.toBeUndefined();
      await expect(policy.assertCanRead(admin, id, sent('dexter'), ['orion'])).resolves.toBeUndefined();
    });

    it('answers anyone else as if the message did not exist (404, not 403)', async () => {
      await expect(policy.assertCanRead(nova, id, sent('dexter'), ['orion'])).rejects.toThrow(
        MessageNotFoundError,
      );
    });

    it("hides an earlier incarnation's messages from an agent whose id was registered again, not from the admin", async () => {
      const before = sent('dexter', '2026-01-01T23:59:59.999Z');
      await expect(policy.assertCanRead(nova, id, before, ['nova'])).rejects.toThrow(MessageNotFoundError);
      await expect(policy.assertCanRead(admin, id, before, ['nova'])).resolves.toBeUndefined();
    });
  });
});
