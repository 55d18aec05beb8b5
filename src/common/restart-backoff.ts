/** A part that ran this long before it died had started fine: its backoff starts over. */
const STABLE_AFTER_MS = 60_000;
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;

/**
 * When to start again a part of the process that died (a BRAIN_WORKERS worker, the archive thread): 1 s, 2 s, 4 s …
 * up to 30 s while it keeps dying within a minute of its start; at once back to 1 s after it ran longer.
 */
export class RestartBackoff {
  /** Deaths in a row, each within a minute of its start. */
  earlyDeaths = 0;

  /** Records a death `ranMs` after the start; answers how long to wait before starting again. */
  afterDeath(ranMs: number): number {
    this.earlyDeaths = ranMs >= STABLE_AFTER_MS ? 0 : this.earlyDeaths + 1;
    return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.max(0, this.earlyDeaths - 1));
  }
}
