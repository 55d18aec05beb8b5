import { api, Stats, ThroughputSeries } from '../api';
import { formatNumber } from '../format';
import { usePoll } from '../use-poll';
import { ThroughputChart } from './throughput-chart';

// Issue 16 asks for at least every 2 s; 1.5 s leaves room for a slow answer and a busy browser.
const REFRESH_MS = 1500;

export function Overview() {
  const stats = usePoll(() => api<Stats>('/v1/stats'), REFRESH_MS);
  const series = usePoll(() => api<ThroughputSeries>('/v1/stats/series'), REFRESH_MS);
  const figures: [string, number | undefined, string][] = [
    ['Messages', stats.data?.totalMessages, 'in the live streams'],
    ['Pending', stats.data?.pendingMessages, 'deliveries not yet acknowledged'],
    ['Acknowledged', stats.data?.acknowledgedMessages, 'acknowledgements recorded'],
    ['Dead letters', stats.data?.deadLetters, 'waiting for a requeue or an ack'],
    ['Archive lag', stats.data?.archiveLag, 'entries not yet in Postgres'],
  ];
  return (
    <section aria-labelledby="overview-heading">
      <h1 id="overview-heading">Overview</h1>
      {(stats.error ?? series.error) && (
        <p class="error" role="alert">
          {stats.error ?? series.error}
        </p>
      )}
      <dl class="figures">
        {figures.map(([label, value, hint]) => (
          <div class="figure" key={label}>
            <dt>{label}</dt>
            <dd>
              <span class="value">{value === undefined ? '…' : formatNumber(value)}</span>
              <span class="hint">{hint}</span>
            </dd>
          </div>
        ))}
      </dl>
      <h2>Messages per second, last 15 minutes</h2>
      <ThroughputChart series={series.data} />
      <p class="hint">Refreshed every 2 s. Each replica samples Brain's counters every 2 s.</p>
    </section>
  );
}
