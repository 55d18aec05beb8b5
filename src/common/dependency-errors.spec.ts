import { ReplyError } from 'ioredis';
import { MaxRetriesPerRequestError } from 'ioredis/built/errors';
import { QueryFailedError } from 'typeorm';
import { unavailableDependency } from './dependency-errors';

/** A pg DatabaseError as TypeORM wraps it: the SQLSTATE is on the driver error. */
const pgError = (code: string, message = 'pg error') =>
  new QueryFailedError('SELECT 1', [], Object.assign(new Error(message), { code }));
const socketError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });

describe('unavailableDependency', () => {
  it.each([
    ['a closed connection', new Error('Connection is closed.')],
    ['an unwritable stream', new Error("Stream isn't writeable and enableOfflineQueue options is false")],
    ['a command timeout', new Error('Command timed out')],
    ['exhausted retries', new MaxRetriesPerRequestError(20)],
    ['a Redis still loading its data', new ReplyError('LOADING Redis is loading the dataset in memory')],
    ['a Cluster without a majority', new ReplyError('CLUSTERDOWN The cluster is down')],
    [
      'a read-only replica after failover',
      new ReplyError("READONLY You can't write against a read only replica."),
    ],
    ['Redis out of memory', new ReplyError("OOM command not allowed when used memory > 'maxmemory'.")],
    [
      'a Cluster whose nodes are all gone',
      Object.assign(new Error('all failed'), { name: 'ClusterAllFailedError' }),
    ],
  ])('names Redis for %s', (_case, error) => {
    expect(unavailableDependency(error)).toBe('redis');
  });

  it.each([
    ['an admin shutdown (57P01)', pgError('57P01', 'terminating connection due to administrator command')],
    ['a connection exception (class 08)', pgError('08006')],
    ['too many connections (53300)', pgError('53300', 'sorry, too many clients already')],
    ['a statement timeout', pgError('57014', 'canceling statement due to statement timeout')],
    ['a database starting up', new Error('the database system is starting up')],
    ['a dropped pool connection', new Error('Connection terminated unexpectedly')],
    ['a pool that cannot connect in time', new Error('timeout exceeded when trying to connect')],
    ['a refused socket', socketError('ECONNREFUSED')],
    ['a reset socket', socketError('ECONNRESET')],
  ])('names Postgres for %s', (_case, error) => {
    expect(unavailableDependency(error)).toBe('postgres');
  });

  it.each([
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    [
      'a Redis reply error from a wrong command',
      new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'),
    ],
    [
      'a Lua error',
      new ReplyError('ERR user_script:1: Script attempted to access nonexistent global variable'),
    ],
    ['a unique violation (23505)', pgError('23505', 'duplicate key value violates unique constraint')],
    ['a syntax error (42601)', pgError('42601', 'syntax error at or near "SELEC"')],
    ['a reply that merely mentions LOADING later on', new ReplyError('ERR not LOADING anything')],
    ['undefined', undefined],
    ['null', null],
    ['a string', 'Connection is closed'],
  ])('names nothing (a bug, not an outage) for %s', (_case, error) => {
    expect(unavailableDependency(error)).toBeUndefined();
  });
});
