import { ScenarioOutcome } from '../lib/results';
import { LossRecord } from './http-publish';

/** Scenario 8: every id answered 201 over HTTP (scenarios 3 and 6), looked up in its run's Postgres archive. */
export function lossCheck(records: LossRecord[]): ScenarioOutcome {
  if (records.length === 0) {
    return { id: 8, title: 'Loss check', figures: [], notRun: 'no HTTP scenario ran' };
  }
  const created = records.reduce((sum, r) => sum + r.created, 0);
  const missing = records.reduce((sum, r) => sum + r.missing, 0);
  return {
    id: 8,
    title: 'Loss check',
    figures: [
      {
        name: `201 answers missing from Postgres, of ${created.toLocaleString('en-US')} (${records.map((r) => r.label).join(', ')})`,
        value: missing,
        unit: '',
        goal: '0',
        met: missing === 0,
        note: records.every((r) => r.archiveCaughtUp)
          ? undefined
          : 'an archive had not caught up when checked',
      },
    ],
    details: records,
  };
}
