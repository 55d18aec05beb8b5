import { useEffect, useState } from 'preact/hooks';
import { api, DeadLetter, enc, HistoryRecord, List, Message } from '../api';
import { errorText, formatTime, preview } from '../format';
import { usePoll } from '../use-poll';

const REFRESH_MS = 5000;
const HISTORY_PAGE = 20;

/** One agent: what waits for it (a peek, which changes nothing), its dead letters, and its history. */
export function AgentPage({ agentId }: { agentId: string }) {
  // Bumped after a requeue, so both lists are read again at once.
  const [version, setVersion] = useState(0);
  const pending = usePoll(
    () => api<List<Message>>(`/v1/agents/${enc(agentId)}/messages?count=100`),
    REFRESH_MS,
    [agentId, version],
  );
  const dead = usePoll(
    () => api<List<DeadLetter>>(`/v1/agents/${enc(agentId)}/dead-letters?limit=100`),
    REFRESH_MS,
    [agentId, version],
  );
  const [notice, setNotice] = useState<{ text: string; error?: boolean }>();

  const requeue = async (messageId: string) => {
    try {
      await api<Message>(`/v1/agents/${enc(agentId)}/dead-letters/${enc(messageId)}/requeue`, {
        method: 'POST',
      });
      setNotice({ text: `Message ${messageId} is pending again.` });
      setVersion((value) => value + 1);
      // The button's row is gone: keep keyboard focus in the section instead of losing it to the page.
      document.getElementById('dead-heading')?.focus();
    } catch (error) {
      setNotice({ text: `Requeue of ${messageId} failed: ${errorText(error)}`, error: true });
    }
  };

  return (
    <article aria-labelledby="agent-heading">
      <p>
        <a href="#/agents">← Agents</a>
      </p>
      <h1 id="agent-heading">Agent {agentId}</h1>
      <p role="status" class={notice?.error ? 'error' : 'notice'}>
        {notice?.text}
      </p>

      <section aria-labelledby="pending-heading">
        <h2 id="pending-heading">Pending</h2>
        {pending.error && <p class="error">{pending.error}</p>}
        {pending.data && (
          <MessageTable
            caption={`Pending for ${agentId}: up to 100, in delivery order (a peek, which changes nothing)`}
            empty="Nothing is pending."
            messages={pending.data.items}
          />
        )}
      </section>

      <section aria-labelledby="dead-heading">
        <h2 id="dead-heading" tabIndex={-1}>
          Dead letters
        </h2>
        {dead.error && <p class="error">{dead.error}</p>}
        {dead.data && dead.data.items.length === 0 && <p>No dead letters.</p>}
        {dead.data && dead.data.items.length > 0 && (
          <div class="table-scroll">
            <table>
              <caption>Dead letters of {agentId}, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Message</th>
                  <th scope="col">From</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Detail</th>
                  <th scope="col" class="number">
                    Deliveries
                  </th>
                  <th scope="col">Dead since</th>
                  <th scope="col">
                    <span class="visually-hidden">Action</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {dead.data.items.map((letter) => (
                  <tr key={letter.id}>
                    <th scope="row">
                      <MessageLink id={letter.id} />
                    </th>
                    <td>{letter.fromAgent}</td>
                    <td>{letter.reason}</td>
                    <td>{letter.detail ?? '—'}</td>
                    <td class="number">{letter.deliveryCount}</td>
                    <td>{formatTime(letter.deadAt)}</td>
                    <td>
                      <button
                        type="button"
                        onClick={() => void requeue(letter.id)}
                        aria-label={`Requeue message ${letter.id}`}
                      >
                        Requeue
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <History agentId={agentId} />
    </article>
  );
}

/** One page of history at a time; `nextCursor` opens the next, and the cursors seen so far lead back. */
function History({ agentId }: { agentId: string }) {
  // cursors[i] opens page i; page 0 needs none.
  const [cursors, setCursors] = useState<string[]>(['']);
  const [page, setPage] = useState(0);
  // The page number travels with its data, so a caption never names a page whose rows are not shown yet.
  const [state, setState] = useState<{ page?: number; data?: List<HistoryRecord>; error?: string }>({});
  useEffect(() => {
    let active = true;
    const cursor = cursors[page];
    const query = `limit=${HISTORY_PAGE}${cursor ? `&cursor=${enc(cursor)}` : ''}`;
    api<List<HistoryRecord>>(`/v1/agents/${enc(agentId)}/history?${query}`).then(
      (data) => active && setState({ page, data }),
      (error: unknown) => active && setState({ page, error: errorText(error) }),
    );
    return () => {
      active = false;
    };
  }, [agentId, page, cursors]);

  const loading = state.page !== page;
  const next = state.data?.nextCursor;
  const goNext = () => {
    if (!next) return;
    setCursors((known) => [...known.slice(0, page + 1), next]);
    setPage(page + 1);
  };
  return (
    <section aria-labelledby="history-heading">
      <h2 id="history-heading">History</h2>
      {state.error && <p class="error">{state.error}</p>}
      {state.data && state.data.items.length === 0 && <p>No history yet.</p>}
      {state.data && state.data.items.length > 0 && (
        <div class="table-scroll">
          <table>
            <caption>
              History of {agentId}, newest first: page {(state.page ?? 0) + 1}
            </caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Kind</th>
                <th scope="col">From → to</th>
                <th scope="col">Type</th>
                <th scope="col">Content</th>
              </tr>
            </thead>
            <tbody>
              {state.data.items.map((record) => (
                <tr key={record.id}>
                  <td>{formatTime(record.createdAt)}</td>
                  <td>
                    {record.kind === 'message' && record.messageId ? (
                      <MessageLink id={record.messageId} label="message" />
                    ) : (
                      record.kind
                    )}
                  </td>
                  <td>{record.kind === 'message' ? `${record.fromAgent} → ${record.toAgent}` : '—'}</td>
                  <td>{record.type ?? '—'}</td>
                  <td class="payload">{preview(record.context)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="History pages">
        <button type="button" onClick={() => setPage(page - 1)} disabled={page === 0 || loading}>
          Previous page
        </button>
        <button type="button" onClick={goNext} disabled={!next || loading}>
          Next page
        </button>
      </nav>
    </section>
  );
}

function MessageTable({ caption, empty, messages }: { caption: string; empty: string; messages: Message[] }) {
  if (messages.length === 0) return <p>{empty}</p>;
  return (
    <div class="table-scroll">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Message</th>
            <th scope="col">From</th>
            <th scope="col">Priority</th>
            <th scope="col">Type</th>
            <th scope="col">Sent</th>
            <th scope="col">Payload</th>
          </tr>
        </thead>
        <tbody>
          {messages.map((message) => (
            <tr key={message.id}>
              <th scope="row">
                <MessageLink id={message.id} />
              </th>
              <td>{message.fromAgent}</td>
              <td>{message.priority}</td>
              <td>{message.type ?? '—'}</td>
              <td>{formatTime(message.timestamp)}</td>
              <td class="payload">{preview(message.payload)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function MessageLink({ id, label }: { id: string; label?: string }) {
  return (
    <a href={`#/messages/${enc(id)}`} class="message-id" title={id}>
      {label ?? id}
    </a>
  );
}
