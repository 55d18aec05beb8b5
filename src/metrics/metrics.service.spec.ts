import { MetricsService } from './metrics.service';

describe('MetricsService', () => {
  let metrics: MetricsService;

  beforeEach(() => {
    metrics = new MetricsService();
  });

  it('renders default process metrics in Prometheus text format', async () => {
    const { contentType, body } = await metrics.render();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toContain('process_cpu_user_seconds_total');
    expect(body).toContain('nodejs_eventloop_lag_seconds');
  });

  it('reads registered gauges at scrape time', async () => {
    let lag = 3;
    metrics.registerGauge('brain_archive_lag', 'Entries not yet archived', () => Promise.resolve(lag));
    expect((await metrics.render()).body).toContain('brain_archive_lag 3');
    lag = 7;
    expect((await metrics.render()).body).toContain('brain_archive_lag 7');
  });

  it('reports NaN for a failing gauge instead of failing the scrape', async () => {
    metrics.registerGauge('brain_broken', 'Fails', () => Promise.reject(new Error('redis is down')));
    metrics.registerGauge('brain_fine', 'Works', () => 1);
    const { body } = await metrics.render();
    expect(body).toContain('brain_fine 1');
    // prom-client writes "Nan"; Prometheus parses NaN case-insensitively.
    expect(body).toMatch(/^brain_broken nan$/im);
  });

  it('lists the series of a labelled gauge at scrape time and drops those no longer listed', async () => {
    let samples = [
      { labels: { agent: 'nova' }, value: 2 },
      { labels: { agent: 'dexter' }, value: 0 },
    ];
    metrics.registerLabelledGauge('brain_test_pending', 'Pending', ['agent'], () => samples);
    let body = (await metrics.render()).body;
    expect(body).toContain('brain_test_pending{agent="nova"} 2');
    expect(body).toContain('brain_test_pending{agent="dexter"} 0');
    samples = [{ labels: { agent: 'nova' }, value: 5 }];
    body = (await metrics.render()).body;
    expect(body).toContain('brain_test_pending{agent="nova"} 5');
    expect(body).not.toContain('agent="dexter"');
  });

  it('turns every known series of a failing labelled gauge to NaN', async () => {
    let fail = false;
    metrics.registerLabelledGauge('brain_test_dead', 'Dead', ['agent'], () =>
      fail ? Promise.reject(new Error('redis is down')) : [{ labels: { agent: 'nova' }, value: 1 }],
    );
    expect((await metrics.render()).body).toContain('brain_test_dead{agent="nova"} 1');
    fail = true;
    expect((await metrics.render()).body).toMatch(/^brain_test_dead\{agent="nova"\} nan$/im);
  });

  it('refuses to register one gauge twice', () => {
    metrics.registerGauge('brain_once', 'Once', () => 1);
    expect(() => metrics.registerGauge('brain_once', 'Once', () => 1)).toThrow(/already registered/);
  });

  it('shares counters by name and refuses conflicting labels', async () => {
    const a = metrics.counter('brain_messages_published_total', 'Published', ['priority']);
    const b = metrics.counter('brain_messages_published_total', 'Published', ['priority']);
    expect(b).toBe(a);
    a.inc({ priority: 'high' });
    b.inc({ priority: 'high' }, 2);
    expect((await metrics.render()).body).toContain('brain_messages_published_total{priority="high"} 3');
    expect(() => metrics.counter('brain_messages_published_total', 'Published', ['type'])).toThrow(
      /another type or other labels/,
    );
    expect(() => metrics.gauge('brain_messages_published_total', 'Published', ['priority'])).toThrow(
      /another type or other labels/,
    );
  });

  it('rejects names Prometheus would not accept', () => {
    expect(() => metrics.counter('brain-bad name', 'Bad')).toThrow(/invalid metric name/);
  });

  it('keeps each instance in its own registry', async () => {
    metrics.counter('brain_only_here_total', 'Here').inc();
    expect((await new MetricsService().render()).body).not.toContain('brain_only_here_total');
  });
});
