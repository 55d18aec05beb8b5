import { Inject, Injectable } from '@nestjs/common';
import { brainConfig, BrainConfigType } from '../config/brain.config';
import { PRIORITIES } from '../common/ids';
import { AgentRegistryRepository } from './agent-registry.repository';
import { BROADCAST } from './context-message';
import { broadcastMailbox, directMailbox, Mailbox, StreamOwner } from './mailbox-address';
import { StreamArchiveRepository } from './stream-archive.repository';

const TRIM_RETRY_MS = 5_000;

/**
 * Trims streams, never beyond what the archive stored nor (by length) what a recipient has not resolved: by age for
 * the retention, by length (BRAIN_STREAM_MAXLEN) after the archiver stored a batch.
 */
@Injectable()
export class StreamTrimmerService {
  private readonly nextTrim = new Map<string, number>();

  constructor(
    private readonly streams: StreamArchiveRepository,
    private readonly agents: AgentRegistryRepository,
    @Inject(brainConfig.KEY) private readonly config: BrainConfigType,
  ) {}

  /** Trims every stream by age (entries before `olderThanId`), never beyond what the archive stored. */
  async trimAll(olderThanId: string): Promise<number> {
    let removed = 0;
    const limits = { maxLength: this.config.messages.streamMaxLen, olderThanId, batch: 1000 };
    for (const owner of await this.agents.streamOwners()) {
      const recipients = await this.recipientsOf(owner);
      for (const p of PRIORITIES.keys()) {
        for (;;) {
          const n = await this.streams.trim(owner, p, recipients, limits);
          removed += n;
          if (n < limits.batch) break;
        }
      }
    }
    return removed;
  }

  /** Trims the owner's streams of the given priorities that grew beyond the length limit. */
  async trimToLength(owner: StreamOwner, priorityIndexes: number[]): Promise<void> {
    const maxLength = this.config.messages.streamMaxLen;
    const lengths = await Promise.all(priorityIndexes.map((p) => this.streams.streamLength(owner, p)));
    // Approximate like MAXLEN ~: trim once a stream is 10 % over, so trimming is not paid on every batch.
    // A stream kept long by a recipient that lags (its pending entries stay) is looked at again after a while only.
    const now = Date.now();
    const over = priorityIndexes.filter(
      (p, i) => lengths[i] > maxLength * 1.1 && (this.nextTrim.get(`${owner} ${p}`) ?? 0) <= now,
    );
    if (over.length === 0) return;
    const recipients = await this.recipientsOf(owner);
    for (const p of over) {
      this.nextTrim.set(`${owner} ${p}`, now + TRIM_RETRY_MS);
      const limits = { maxLength, olderThanId: '0-0', batch: 10_000 };
      const removed = await this.streams.trim(owner, p, recipients, limits);
      if (removed > 0) this.nextTrim.delete(`${owner} ${p}`);
    }
  }

  /** The mailboxes (one per recipient) that read the owner's streams: their pending entries stay. */
  private async recipientsOf(owner: StreamOwner): Promise<Mailbox[]> {
    if (owner !== BROADCAST) return [directMailbox(owner)];
    return [...(await this.agents.broadcastMembers()).keys()].map((member) => broadcastMailbox(member));
  }
}
