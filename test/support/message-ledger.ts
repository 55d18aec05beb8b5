import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { HttpAnswer, httpRequest, LoadGenerator, LoadOptions, LoadResult, startLoad } from './load-generator';
import { ADMIN_TOKEN, waitFor } from './test-environment';

/**
 * What the reliability scenarios need to prove "no message that got a 201 is lost": a publish load (most requests
 * carry their own message id, as a careful client's do; every third leaves the id to Brain, as most clients do;
 * every payload says which load and which request it came from), the ledger of its answers, and the two places a
 * message must be found afterwards: its recipient's inbox (pending, then acknowledged by the check) and the
 * Postgres archive (`messages`).
 *
 *   const publishes = startPublishLoad({ url: app.url, from: 'nova', to: 'dexter', concurrency: 4 });
 *   await app.kill(); await app.start();
 *   const ledger = ledgerOf(await publishes.load.stop(), publishes);
 *   const report = await verifyDelivery(app.url, databaseUrl, ledger, { from: 'nova', to: 'dexter' });
 *   expect(report.problems).toEqual(NO_PROBLEMS);
 */
const PRIORITIES = ['critical', 'high', 'medium', 'low'] as const;

export interface PublishLoadOptions {
  url: string;
  /** Who publishes: an agent's token, or the admin's (then `from` is sent as `sourceAgent`). */
  token?: string;
  from: string;
  to: string;
  concurrency: number;
  /** Pause after each request of a worker (keeps the rate modest on a 2-core machine). Default 5 ms. */
  pauseMs?: number;
  /** Per request; default 10 s. */
  timeoutMs?: number;
  stopWorkerWhen?: LoadOptions<unknown>['stopWorkerWhen'];
  /**
   * After a request that got no answer, the worker holds back this long before its next one (default 100 ms), as a
   * client would: a stopped app then costs a few hundred refused publishes, not thousands.
   */
  backoffAfterErrorMs?: number;
  /** Every n-th publish carries no id, so Brain chooses it (default 3; 0 = every publish carries one). */
  brainChosenIdEvery?: number;
}

export interface PublishLoad {
  load: LoadGenerator<unknown>;
  /** Written into every payload of this load (`{ run, seq }`): tells its messages from any others. */
  run: string;
  /** The message id that request `seq` carried; undefined where Brain chose it (a 201's body says which). */
  idOf(seq: number): string | undefined;
}

/**
 * One publish. With `id` (client-chosen) it can be retried without creating a second message; without, Brain
 * chooses the id. The payload is `{ run, seq }`.
 */
export function publish(
  url: string,
  options: {
    token?: string;
    from: string;
    to: string;
    id?: string;
    run?: string;
    seq?: number;
    timeoutMs?: number;
  },
): Promise<HttpAnswer> {
  const seq = options.seq ?? 0;
  return httpRequest(url, 'POST', '/v1/messages', {
    token: options.token ?? ADMIN_TOKEN,
    timeoutMs: options.timeoutMs ?? 10000,
    body: {
      targetAgent: options.to,
      sourceAgent: options.from,
      context: { run: options.run, seq },
      priority: PRIORITIES[seq % PRIORITIES.length],
      type: 'reliability',
      ...(options.id ? { id: options.id } : {}),
    },
  });
}

export function startPublishLoad(options: PublishLoadOptions): PublishLoad {
  const run = randomUUID().slice(0, 8);
  const every = options.brainChosenIdEvery ?? 3;
  const ids: (string | undefined)[] = [];
  const idOf = (seq: number) => {
    if (every > 0 && seq % every === every - 1) return undefined;
    return (ids[seq] ??= randomUUID());
  };
  const load = startLoad({
    concurrency: options.concurrency,
    pauseMs: options.pauseMs ?? 5,
    stopWorkerWhen: options.stopWorkerWhen,
    send: async (seq) => {
      try {
        return await publish(options.url, { ...options, id: idOf(seq), run, seq });
      } catch (error) {
        await new Promise((resolve) => setTimeout(resolve, options.backoffAfterErrorMs ?? 100));
        throw error;
      }
    },
  });
  return { load, run, idOf };
}

/** The answers of a publish load, by message id. */
export interface PublishLedger {
  run: string;
  sent: number;
  /**
   * 201, or 200 ("published before": the reply to a first attempt was lost with its connection and ioredis sent the
   * script again, which found the message stored). Each of these must be found afterwards.
   */
  accepted: string[];
  /** How many of `accepted` were 200s. */
  replayed: number;
  /** Any other status, by status (e.g. 503 during a Redis outage): each may or may not exist, never half. */
  refused: Record<string, string[]>;
  /** No answer at all (connection refused or reset, timeout): each may or may not exist. */
  unanswered: string[];
  /** Requests without an id of their own that got no 201: each may exist (once) or not; known by its `seq`. */
  withoutId: number[];
  /** The `seq` each unanswered or refused id was sent with: a retry sends the very same message again. */
  seqOf: Record<string, number>;
}

export function ledgerOf(results: LoadResult[], publishes: Pick<PublishLoad, 'run' | 'idOf'>): PublishLedger {
  const ledger: PublishLedger = {
    run: publishes.run,
    sent: results.length,
    accepted: [],
    replayed: 0,
    refused: {},
    unanswered: [],
    withoutId: [],
    seqOf: {},
  };
  for (const result of results) {
    const id = publishes.idOf(result.seq);
    if (result.status === 201 || result.status === 200) {
      ledger.accepted.push((result.body as { id: string }).id);
      if (result.status === 200) ledger.replayed++;
    } else if (id === undefined) ledger.withoutId.push(result.seq);
    else {
      ledger.seqOf[id] = result.seq;
      if (result.status === undefined) ledger.unanswered.push(id);
      else (ledger.refused[result.status] ??= []).push(id);
    }
  }
  return ledger;
}

/** The ids the 201s of a load's results name. */
export function acceptedIds(results: LoadResult[]): string[] {
  return results.filter((r) => r.status === 201).map((r) => (r.body as { id: string }).id);
}

/** Every id the ledger holds that may or may not have been stored (no 201). */
export function uncertainIds(ledger: PublishLedger): string[] {
  return [...ledger.unanswered, ...Object.values(ledger.refused).flat()];
}

/**
 * Publishes `ids` again, one by one, as a client retries what got no 201: the same message (same `seq`, so the same
 * payload and priority) under the same id. Each must answer 201 (it was not stored) or 200 (it was, and nothing new
 * is created); the same id with another message would rightly be a 409. Returns the statuses by id.
 */
export async function republish(
  url: string,
  ids: string[],
  options: { token?: string; from: string; to: string; run?: string; seqOf?: Record<string, number> },
): Promise<Map<string, number | string>> {
  const statuses = new Map<string, number | string>();
  for (const id of ids) {
    const answer = await publish(url, { ...options, id, seq: options.seqOf?.[id] }).catch((error: Error) => ({
      status: error.message,
    }));
    statuses.set(id, answer.status);
  }
  return statuses;
}

/** A message as the checks see it: its id and the `{ run, seq }` its publish wrote into the payload. */
export interface Tagged {
  id: string;
  run?: string;
  seq?: number;
}

/**
 * Reads an agent's inbox to the end: peeks up to 1,000 pending messages, acknowledges them, and again until
 * nothing is pending. Returns every message seen, in order; an id seen twice would be a duplicate delivery.
 */
export async function drainInbox(url: string, agentId: string, token = ADMIN_TOKEN): Promise<Tagged[]> {
  const seen: Tagged[] = [];
  for (;;) {
    const pending = await httpRequest<{ items: { id: string; payload: { run?: string; seq?: number } }[] }>(
      url,
      'GET',
      `/v1/agents/${agentId}/messages?count=1000`,
      { token },
    );
    if (pending.status !== 200) throw new Error(`peek answered ${pending.status}`);
    const items = pending.body!.items;
    if (items.length === 0) return seen;
    seen.push(...items.map(({ id, payload }) => ({ id, run: payload.run, seq: payload.seq })));
    const acked = await httpRequest<{ acknowledged: number }>(url, 'POST', `/v1/agents/${agentId}/acks`, {
      token,
      body: { ids: items.map((m) => m.id) },
    });
    if (acked.status !== 200) throw new Error(`acks answered ${acked.status} ${JSON.stringify(acked.body)}`);
  }
}

/** One query on a fresh connection (the app's pool is not the test's). */
async function queryOnce<R extends object>(
  databaseUrl: string,
  sql: string,
  params: unknown[],
): Promise<R[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** The ids of the messages addressed to `agentId` in the Postgres archive, one entry per row. */
export async function archivedIds(databaseUrl: string, agentId: string): Promise<string[]> {
  const rows = await queryOnce<{ id: string }>(databaseUrl, 'SELECT id FROM messages WHERE to_agent = $1', [
    agentId,
  ]);
  return rows.map((row) => row.id);
}

/** The messages addressed to `agentId` in the Postgres archive, with the `{ run, seq }` of their payloads. */
export async function archivedMessages(databaseUrl: string, agentId: string): Promise<Tagged[]> {
  const rows = await queryOnce<{ id: string; run: string | null; seq: string | null }>(
    databaseUrl,
    `SELECT id, payload->>'run' AS run, payload->>'seq' AS seq FROM messages WHERE to_agent = $1`,
    [agentId],
  );
  return rows.map((row) => ({
    id: row.id,
    run: row.run ?? undefined,
    seq: row.seq === null ? undefined : Number(row.seq),
  }));
}

/** Waits until every id of `expected` is in the archive; returns the rows then and how long the catch-up took. */
export async function waitForArchive(
  databaseUrl: string,
  agentId: string,
  expected: string[],
  timeoutMs = 30000,
): Promise<{ rows: string[]; afterMs: number }> {
  const startedAt = Date.now();
  const rows = await waitFor(
    async () => {
      const found = await archivedIds(databaseUrl, agentId);
      const present = new Set(found);
      return expected.every((id) => present.has(id)) && found;
    },
    `${expected.length} messages to reach the archive`,
    timeoutMs,
    100,
  );
  return { rows, afterMs: Date.now() - startedAt };
}

/** Entries that occur more than once in `ids`. */
export function duplicatesIn(ids: string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const id of ids) (seen.has(id) ? twice : seen).add(id);
  return [...twice];
}

/** Entries of `expected` that `found` lacks. */
export function missingFrom(found: Iterable<string>, expected: string[]): string[] {
  const present = new Set(found);
  return expected.filter((id) => !present.has(id));
}

/** Registers agents as the admin; returns their tokens by id. */
export async function registerAgents(url: string, ids: string[]): Promise<Record<string, string>> {
  const tokens: Record<string, string> = {};
  for (const id of ids) {
    const answer = await httpRequest<{ token: string }>(url, 'POST', '/v1/agents', {
      token: ADMIN_TOKEN,
      body: { id },
    });
    if (answer.status !== 201)
      throw new Error(`registering ${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
    tokens[id] = answer.body!.token;
  }
  return tokens;
}

/** How many acknowledgements by `agentId` the archive holds (`message_acks`). */
export async function archivedAckCount(databaseUrl: string, agentId: string): Promise<number> {
  const rows = await queryOnce<{ n: string }>(
    databaseUrl,
    'SELECT count(*) AS n FROM message_acks WHERE agent_id = $1',
    [agentId],
  );
  return Number(rows[0].n);
}

/** Where the messages of a publish ledger were found afterwards, and what was wrong (every list empty = no loss). */
export interface DeliveryReport {
  figures: {
    accepted201: number;
    replayed200: number;
    retried: Record<string, number>;
    /** Published without an id and answered otherwise than 201; then found (it had been stored) or not. */
    withoutId201Not: number;
    withoutIdFound: number;
    foundPending: number;
    duplicatesPending: number;
    archived: number;
    duplicatesArchived: number;
    archiveCatchUpMs: number;
  };
  problems: {
    /** Retries (same id) that answered neither 201 nor 200. */
    badRetries: string[];
    /** Got a 201 (or was retried) and is not pending for its recipient. */
    missingPending: string[];
    /** Pending twice: the same id, or two messages of one request without an id. */
    duplicatesPending: string[];
    /** Pending, of this load, but no request of it can have created it. */
    unexpectedPending: string[];
    /** Pending and not archived. */
    missingArchived: string[];
    duplicatesArchived: string[];
    /** Archived, of this load, but never pending. */
    unexpectedArchived: string[];
  };
}

/**
 * The end of a loss scenario: retries (same id) every publish with an id that got no 201, reads the recipient's
 * inbox to the end, and waits for the archive. Every 201 and every retried id must then be pending once and
 * archived once; a publish without an id that got no 201 may have been stored, but once at most, and then archived.
 */
export async function verifyDelivery(
  url: string,
  databaseUrl: string,
  ledger: PublishLedger,
  sender: { from: string; to: string },
): Promise<DeliveryReport> {
  const uncertain = uncertainIds(ledger);
  const retried = await republish(url, uncertain, { ...sender, run: ledger.run, seqOf: ledger.seqOf });
  const known = [...ledger.accepted, ...uncertain];
  const isKnown = new Set(known);
  const withoutId = new Set(ledger.withoutId);
  const inbox = (await drainInbox(url, sender.to)).filter((m) => m.run === ledger.run);
  const ofRequestsWithoutId = inbox.filter((m) => !isKnown.has(m.id) && withoutId.has(m.seq!));
  const inboxIds = inbox.map((m) => m.id);
  const found = new Set(inboxIds);
  const pending = known.filter((id) => found.has(id)).length + ofRequestsWithoutId.length;
  // 60 s: entries a killed replica's archiver had read but not stored are taken over after 30 s (STALE_CLAIM_MS),
  // by a pass that runs every 10 s.
  const expected = [...known, ...ofRequestsWithoutId.map((m) => m.id)];
  const archive = await waitForArchive(databaseUrl, sender.to, expected, 60000).catch(() => ({
    afterMs: NaN,
  }));
  const archived = (await archivedMessages(databaseUrl, sender.to)).filter((m) => m.run === ledger.run);
  const archivedIds = archived.map((m) => m.id);
  const statuses = [...retried.values()];
  return {
    figures: {
      accepted201: ledger.accepted.length - ledger.replayed,
      replayed200: ledger.replayed,
      retried: countBy(statuses),
      withoutId201Not: ledger.withoutId.length,
      withoutIdFound: ofRequestsWithoutId.length,
      foundPending: pending,
      duplicatesPending: inbox.length - new Set(inboxIds).size,
      archived: archived.length,
      duplicatesArchived: archived.length - new Set(archivedIds).size,
      archiveCatchUpMs: archive.afterMs,
    },
    problems: {
      badRetries: uncertain.filter((id) => retried.get(id) !== 201 && retried.get(id) !== 200),
      missingPending: missingFrom(inboxIds, known),
      duplicatesPending: [
        ...duplicatesIn(inboxIds),
        ...duplicatesIn(ofRequestsWithoutId.map((m) => String(m.seq))).map((seq) => `seq ${seq}`),
      ],
      unexpectedPending: inbox.filter((m) => !isKnown.has(m.id) && !withoutId.has(m.seq!)).map((m) => m.id),
      missingArchived: missingFrom(archivedIds, expected),
      duplicatesArchived: duplicatesIn(archivedIds),
      unexpectedArchived: missingFrom(expected, archivedIds),
    },
  };
}

/** A report without problems, for `expect(report.problems).toEqual(NO_PROBLEMS)`: a failure then lists the ids. */
export const NO_PROBLEMS: DeliveryReport['problems'] = {
  badRetries: [],
  missingPending: [],
  duplicatesPending: [],
  unexpectedPending: [],
  missingArchived: [],
  duplicatesArchived: [],
  unexpectedArchived: [],
};

export function countBy(values: Iterable<number | string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
