import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, enc, Message, MessageStatus } from '../api';
import { errorText, formatTime } from '../format';

type Found = Message & { status: MessageStatus };

/** A message by id, with who acknowledged it, who still has it pending and who dead-lettered it. */
export function MessageLookup({ messageId }: { messageId?: string }) {
  const [input, setInput] = useState(messageId ?? '');
  const [result, setResult] = useState<{ message?: Found; error?: string }>();

  useEffect(() => {
    setInput(messageId ?? '');
    if (!messageId) {
      setResult(undefined);
      return;
    }
    let active = true;
    api<Found>(`/v1/messages/${enc(messageId)}`).then(
      (message) => active && setResult({ message }),
      (error: unknown) =>
        active &&
        setResult({
          error:
            error instanceof ApiError && error.status === 404
              ? `No message with id ${messageId}.`
              : errorText(error),
        }),
    );
    return () => {
      active = false;
    };
  }, [messageId]);

  const submit = (event: Event) => {
    event.preventDefault();
    const id = input.trim().toLowerCase();
    // The same id again: read it anew (the hash does not change, so the effect would not run).
    if (id === messageId) setResult(undefined);
    window.location.hash = `#/messages/${enc(id)}`;
  };

  return (
    <section aria-labelledby="lookup-heading">
      <h1 id="lookup-heading">Message lookup</h1>
      <form class="inline-form" onSubmit={submit}>
        <label for="message-id">Message id</label>
        <input
          id="message-id"
          type="text"
          required
          spellcheck={false}
          autoComplete="off"
          placeholder="6f1c3a9e-2b7d-4c1e-9f0a-5d2e8b7c4a10"
          value={input}
          onInput={(event) => setInput(event.currentTarget.value)}
        />
        <button type="submit">Look up</button>
      </form>
      <div aria-live="polite">
        {result?.error && (
          <p class="error" role="alert">
            {result.error}
          </p>
        )}
        {result?.message && <MessageDetails message={result.message} />}
      </div>
    </section>
  );
}

function MessageDetails({ message }: { message: Found }) {
  const { status } = message;
  const rows: [string, string][] = [
    ['Id', message.id],
    ['From', message.fromAgent],
    ['To', message.toAgent],
    ['Sent', formatTime(message.timestamp)],
    ['Priority', message.priority],
    ['Type', message.type ?? '—'],
    ['Deliveries', String(message.deliveryCount)],
    ['Acknowledged by everyone', status.acknowledged ? 'yes' : 'no'],
    ['Acknowledged by', names(status.acknowledgedBy)],
    ['Pending for', names(status.pendingFor)],
  ];
  if (status.deadLetteredFor) rows.push(['Dead-lettered for', names(status.deadLetteredFor)]);
  if (status.expired !== undefined) rows.push(['Expired', status.expired ? 'yes' : 'no']);
  return (
    <article aria-labelledby="message-heading" class="message-details">
      <h2 id="message-heading">Message {message.id}</h2>
      <dl class="details">
        {rows.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <h3>Payload</h3>
      <pre class="payload-full">{JSON.stringify(message.payload, null, 2)}</pre>
    </article>
  );
}

function names(list: string[]): string {
  return list.length ? list.join(', ') : 'nobody';
}
