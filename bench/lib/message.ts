import { randomUUID } from 'node:crypto';

/**
 * The message every scenario sends: a small, realistic agent context (about 200 bytes of JSON). Raw XADD stores
 * exactly the fields the publish script stores (m, f, ty, p, ts, to), so the ceiling and Brain carry the same bytes.
 */
export const SAMPLE_CONTEXT = {
  task: 'summarize-quarter',
  region: 'emea',
  figures: { revenue: 1284300, orders: 9321, churn: 0.031 },
  notes: 'Q3 numbers are final; compare with the forecast before sharing with the sales agent.',
};
export const SAMPLE_PAYLOAD = JSON.stringify(SAMPLE_CONTEXT);
export const SAMPLE_TYPE = 'sales_data';

export function streamFields(id = randomUUID(), from = 'bench-sender'): (string | number)[] {
  return ['m', id, 'f', from, 'ty', SAMPLE_TYPE, 'p', SAMPLE_PAYLOAD, 'ts', Date.now(), 'to', ''];
}
