import { Inject, Injectable } from '@nestjs/common';
import { Cluster } from 'ioredis';
import { RedisKeys } from '../infrastructure/redis/keys';
import { REDIS_CLIENT, RedisClient } from '../infrastructure/redis/redis.constants';
import { BROADCAST } from './context-message';
import { StreamOwner } from './mailbox-address';
import { defineMailboxScripts, runScript } from './mailbox.scripts';
import { GROUPS } from './redis-schema';

/** Field of an agent's meta hash: its capabilities as a JSON list. */
const CAPABILITIES_FIELD = 'caps';

/** Redis commands of the agents' presence: registry, meta, mailboxes' creation and deletion. No rules. */
@Injectable()
export class AgentRegistryRepository {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    defineMailboxScripts(redis);
  }

  /**
   * Creates the agent's mailbox and meta, its capabilities with them (the meta is the registration: the capability
   * sets, in their own slots, follow it and may briefly name an agent being deleted; routing skips those).
   */
  async registerAgent(
    agentId: string,
    tokenHash: string,
    nowMs: number,
    capabilities: string[],
  ): Promise<boolean> {
    const mailbox = this.keys.agentMailbox(agentId);
    const before = await this.capabilitiesOf(agentId);
    const keys = [...mailbox.streams, mailbox.gate, mailbox.cursor];
    const created = await runScript<number>(this.redis, 'register-agent', keys, [
      tokenHash,
      nowMs,
      mailbox.group,
      GROUPS.archive,
      JSON.stringify(capabilities),
    ]);
    await this.redis.sadd(this.keys.agentRegistry(), agentId);
    const dropped = before.filter((capability) => !capabilities.includes(capability));
    await Promise.all([
      ...dropped.map((capability) => this.leaveCapability(capability, agentId)),
      ...capabilities.map((capability) => this.redis.sadd(this.keys.capabilityAgents(capability), agentId)),
    ]);
    return created === 1;
  }

  /** For agents registered before capabilities were mirrored: records them unless some are. */
  async mirrorCapabilities(agentId: string, capabilities: string[]): Promise<boolean> {
    const meta = this.keys.agentMeta(agentId);
    const recorded = await runScript<number>(
      this.redis,
      'mirror-capabilities',
      [meta],
      [JSON.stringify(capabilities)],
    );
    if (recorded !== 1) return false;
    await Promise.all(
      capabilities.map((capability) => this.redis.sadd(this.keys.capabilityAgents(capability), agentId)),
    );
    return true;
  }

  /** Takes the agent out of every capability set its meta names (before the meta goes). */
  async removeFromCapabilities(agentId: string): Promise<void> {
    const capabilities = await this.capabilitiesOf(agentId);
    await Promise.all(capabilities.map((capability) => this.leaveCapability(capability, agentId)));
  }

  async leaveCapability(capability: string, agentId: string): Promise<void> {
    await this.redis.srem(this.keys.capabilityAgents(capability), agentId);
    await this.redis.hdel(this.keys.capabilityRouted(capability), agentId);
  }

  async capableAgents(capability: string): Promise<string[]> {
    return (await this.redis.smembers(this.keys.capabilityAgents(capability))).sort();
  }

  /** When routing last chose each agent for the capability (ms), 0 if never. */
  async lastRouted(capability: string, agentIds: string[]): Promise<number[]> {
    if (agentIds.length === 0) return [];
    const values = await this.redis.hmget(this.keys.capabilityRouted(capability), ...agentIds);
    return values.map((value) => Number(value ?? 0));
  }

  async markRouted(capability: string, agentId: string, atMs: number): Promise<void> {
    await this.redis.hset(this.keys.capabilityRouted(capability), agentId, atMs);
  }

  private async capabilitiesOf(agentId: string): Promise<string[]> {
    const stored = await this.redis.hget(this.keys.agentMeta(agentId), CAPABILITIES_FIELD);
    return stored ? (JSON.parse(stored) as string[]) : [];
  }

  async joinBroadcast(agentId: string): Promise<void> {
    const mailbox = this.keys.broadcastMailbox(agentId);
    await runScript<number>(
      this.redis,
      'join-broadcast',
      [...mailbox.streams, mailbox.gate, mailbox.cursor, mailbox.stats],
      [agentId, GROUPS.archive],
    );
  }

  /** Members of the broadcast streams and the entry ids (per priority) after which they receive broadcasts. */
  async broadcastMembers(): Promise<Map<string, string[]>> {
    const raw = await this.redis.hgetall(this.keys.broadcastMembers());
    return new Map(Object.entries(raw).map(([agentId, joined]) => [agentId, joined.split(' ')]));
  }

  /** false when the agent is not registered (then nothing is written). */
  async setTokenHash(agentId: string, tokenHash: string): Promise<boolean> {
    return (
      (await runScript<number>(this.redis, 'set-token-hash', [this.keys.agentMeta(agentId)], [tokenHash])) ===
      1
    );
  }

  /** Moves the agent's direct resolutions from its former acked hash into its ids values; how many moved. */
  async foldFormerAcked(agentId: string): Promise<number> {
    const keys = [this.keys.agentMailbox(agentId).ids, this.keys.formerDirectAcked(agentId)];
    return runScript<number>(this.redis, 'fold-acked', keys, []);
  }

  async listAgentIds(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.agentRegistry())).sort();
  }

  /** Whose streams exist: every registered agent's, and the broadcast streams once there is an agent at all. */
  async streamOwners(): Promise<StreamOwner[]> {
    const agents = await this.listAgentIds();
    return agents.length > 0 ? [...agents, BROADCAST] : [];
  }

  /** Stops new messages to the agent: publish checks the meta key in the same script as the append. */
  async closeAgent(agentId: string): Promise<void> {
    await this.redis.del(this.keys.agentMeta(agentId));
  }

  async deleteAgentKeys(agentId: string): Promise<void> {
    const direct = this.keys.agentMailbox(agentId);
    const broadcast = this.keys.broadcastMailbox(agentId);
    await Promise.all(
      broadcast.streams.map((stream) => this.redis.xgroup('DESTROY', stream, broadcast.group).catch(() => 0)),
    );
    await this.redis.hdel(this.keys.broadcastMembers(), agentId);
    await this.redis.del(
      broadcast.acked,
      broadcast.cursor,
      broadcast.dead,
      broadcast.deadIndex,
      broadcast.counters,
      broadcast.leases,
    );
    await this.redis.del(
      ...direct.streams,
      direct.ids,
      this.keys.formerDirectAcked(agentId),
      direct.cursor,
      direct.ackLog,
      direct.dead,
      direct.deadIndex,
      direct.counters,
      direct.leases,
    );
    await this.redis.srem(this.keys.agentRegistry(), agentId);
  }

  /** Deletes every key under Brain's prefix, found with SCAN on every master (never KEYS). */
  async deleteEverything(): Promise<number> {
    const nodes = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
    let deleted = 0;
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', this.keys.everything(), 'COUNT', 1000);
        cursor = next;
        // One UNLINK per key: keys of different slots may not share a command on a Cluster.
        const results = await Promise.all(keys.map((key) => node.unlink(key)));
        deleted += results.reduce((sum, n) => sum + n, 0);
      } while (cursor !== '0');
    }
    return deleted;
  }
}
