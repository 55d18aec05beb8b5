/** One Server-Sent Event, or a comment line (`: keep-alive`, `: shutting down, reconnect`). */
export type ServerSentEvent =
  | { kind: 'event'; event: string; data: string; id?: string }
  | { kind: 'comment'; text: string }
  | { kind: 'retry'; ms: number };

/**
 * The event-stream format of the HTML standard (§9.2.6 "Interpreting an event stream"), fed text as it arrives:
 * lines end in CRLF, LF or CR (a CR at the end of a chunk may be half of a CRLF); `data` lines join with LF; an event
 * is dispatched at a blank line and only if it has data; `id` without NUL sets the last event id (kept across events,
 * even on an event without data); `retry` with digits only sets the reconnection time; unknown fields are ignored;
 * one leading BOM is dropped.
 */
export class SseParser {
  /** The id of the last event, as EventSource's `lastEventId`: sent back as `Last-Event-ID` on reconnect. */
  lastEventId = '';
  private pending = '';
  private sawCr = false;
  private started = false;
  private data: string[] = [];
  private eventType = '';
  private idBuffer = '';

  /** The events the text completes, in order. */
  feed(chunk: string): ServerSentEvent[] {
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    // A CR ended the last chunk: an LF starting this one belongs to it.
    if (this.sawCr && text.startsWith('\n')) text = text.slice(1);
    this.sawCr = false;
    const out: ServerSentEvent[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const char = text.charCodeAt(i);
      if (char !== 10 && char !== 13) continue;
      this.line(this.pending + text.slice(start, i), out);
      this.pending = '';
      if (char === 13) {
        if (i + 1 === text.length) this.sawCr = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    this.pending += text.slice(start);
    return out;
  }

  private line(line: string, out: ServerSentEvent[]): void {
    if (line === '') return this.dispatch(out);
    if (line.startsWith(':')) {
      out.push({ kind: 'comment', text: line.slice(1).trimStart() });
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.idBuffer = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) out.push({ kind: 'retry', ms: Number(value) });
        break;
    }
  }

  private dispatch(out: ServerSentEvent[]): void {
    this.lastEventId = this.idBuffer;
    const data = this.data;
    const event = this.eventType || 'message';
    this.data = [];
    this.eventType = '';
    if (data.length === 0) return;
    out.push({ kind: 'event', event, data: data.join('\n'), id: this.lastEventId || undefined });
  }
}
