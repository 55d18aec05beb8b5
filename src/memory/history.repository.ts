import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { BROADCAST } from '../context-sync/context-message';
import { Position } from './cursor';
import { MemoryRecord } from './memory-record';
import { MemoryEntity } from './entities/memory.entity';
import { liveAt } from './memories.repository';
import { postgres } from './postgres';
import {
  MEMORY_COLUMNS,
  MESSAGE_COLUMNS,
  NEWEST_FIRST,
  RecordRow,
  SqlParams,
  toMemoryRecord,
} from './record-rows';

/** An agent's timeline: its memories and its messages, read from both tables in one statement. SQL only. */
@Injectable()
export class HistoryRepository {
  constructor(@InjectRepository(MemoryEntity) private readonly memories: Repository<MemoryEntity>) {}

  /**
   * Newest first, `limit` rows after `after`: the agent's live memories (private ones too), the messages it sent,
   * the direct messages it received, and broadcasts by others from `broadcastsSince` on (none when null).
   * Each branch is one ordered index scan that stops after `limit` rows; the branches are disjoint.
   */
  async findHistory(
    agentId: string,
    broadcastsSince: Date | null,
    now: Date,
    after: Position | null,
    limit: number,
  ): Promise<MemoryRecord[]> {
    const params = new SqlParams();
    const [agent, max] = [params.add(agentId), params.add(limit)];
    const keyset = params.olderThan(after);
    const branches = [
      `SELECT ${MEMORY_COLUMNS} FROM memories WHERE agent_id = ${agent} AND ${liveAt(params, now)} ${keyset}`,
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE from_agent = ${agent} ${keyset}`,
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE to_agent = ${agent} AND from_agent <> ${agent} ${keyset}`,
    ];
    if (broadcastsSince) {
      branches.push(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE to_agent = ${params.add(BROADCAST)}
         AND from_agent <> ${agent} AND created_at >= ${params.add(broadcastsSince)} ${keyset}`,
      );
    }
    const rows: RecordRow[] = await postgres(
      this.memories.query(
        `SELECT * FROM (${branches.map((branch) => `(${branch} ${NEWEST_FIRST} LIMIT ${max})`).join(' UNION ALL ')})
         history ${NEWEST_FIRST} LIMIT ${max}`,
        params.values,
      ),
    );
    return rows.map(toMemoryRecord);
  }
}
