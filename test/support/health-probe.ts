import { HttpAnswer, httpRequest } from './load-generator';
import { waitFor } from './test-environment';

/** Terminus' answer on /health/ready. */
export interface Readiness {
  status: string;
  info?: Record<string, { status: string }>;
  error?: Record<string, { status: string; message?: string }>;
}

export function probeReady(baseUrl: string, timeoutMs = 5000): Promise<HttpAnswer<Readiness>> {
  return httpRequest<Readiness>(baseUrl, 'GET', '/health/ready', { timeoutMs });
}

export function probeLive(baseUrl: string, timeoutMs = 5000): Promise<HttpAnswer> {
  return httpRequest(baseUrl, 'GET', '/health/live', { timeoutMs });
}

/** Polls /health/ready until it answers `status`; returns that answer and how long it took. */
export async function waitForReadiness(
  baseUrl: string,
  status: 200 | 503,
  timeoutMs: number,
): Promise<{ answer: HttpAnswer<Readiness>; afterMs: number }> {
  const startedAt = Date.now();
  const answer = await waitFor(
    async () => {
      const probe = await probeReady(baseUrl);
      return probe.status === status && probe;
    },
    `readiness to answer ${status}`,
    timeoutMs,
    50,
  );
  return { answer, afterMs: Date.now() - startedAt };
}
