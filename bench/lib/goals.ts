import { Figure, ScenarioOutcome } from './results';

/** Issue 13's goals, in its order; each is decided by the figures tagged with its number. */
export const ISSUE_13_GOALS: Record<number, string> = {
  1: 'HTTP publish throughput vs the ceiling server',
  2: 'p99, errors and archive catch-up at half the ceiling',
  3: 'use the machine (processes / cores)',
  4: 'CPU per publish vs the ceiling server',
  5: 'in-process shareContext vs raw XADD',
  6: 'deliver + acknowledge end to end vs BullMQ',
  7: 'Redis bytes per message vs a plain stream',
  8: 'broadcast with 1,000 agents vs 10',
  9: "the design note's latency table at light load",
};

/** Which scenario measures which goals: a scenario that failed says so in its goals' rows. */
const SCENARIO_OF_GOAL: Record<number, number> = {
  1: 10,
  2: 10,
  3: 10,
  4: 10,
  5: 1,
  6: 4,
  7: 7,
  8: 5,
  9: 11,
};

export interface GoalRow {
  goal: number;
  what: string;
  measured: string;
  reference: string;
  ratio: string;
  target: string;
  /** undefined: not measured in this run. */
  met?: boolean;
}

export function formatNumber(value: number, unit: string): string {
  if (!Number.isFinite(value)) return '—';
  const digits = unit === 'ms' ? (value < 10 ? 2 : 1) : Math.abs(value) < 10 ? 2 : 0;
  return `${value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 })} ${unit}`.trim();
}

export const formatRatio = (ratio: number | undefined) =>
  ratio === undefined || !Number.isFinite(ratio) ? '' : `${ratio.toFixed(2)}×`;

function row(goal: number, figure: Figure): GoalRow {
  return {
    goal,
    what: figure.name,
    measured: formatNumber(figure.value, figure.unit),
    reference: figure.reference
      ? `${figure.reference.name}: ${formatNumber(figure.reference.value, figure.reference.unit)}`
      : '',
    ratio: formatRatio(figure.ratio),
    target: figure.goal ?? '',
    met: figure.met,
  };
}

/** One row per figure deciding a goal of issue 13; a goal nothing measured in this run gets a "not run" row. */
export function goalRows(scenarios: ScenarioOutcome[]): GoalRow[] {
  const rows: GoalRow[] = [];
  for (const goal of Object.keys(ISSUE_13_GOALS).map(Number)) {
    const figures = scenarios.flatMap((s) => s.figures).filter((f) => f.issueGoal === goal);
    if (figures.length === 0) {
      const failed = scenarios.find((s) => s.id === SCENARIO_OF_GOAL[goal] && s.notRun)?.notRun;
      rows.push({
        goal,
        what: ISSUE_13_GOALS[goal],
        measured: failed ?? `not run (scenario ${SCENARIO_OF_GOAL[goal]} not selected)`,
        reference: '',
        ratio: '',
        target: '',
      });
    } else rows.push(...figures.map((figure) => row(goal, figure)));
  }
  return rows;
}

export const verdict = (met: boolean | undefined, markdown: boolean) =>
  met === undefined ? '' : met ? 'met' : markdown ? '**not met**' : 'NOT MET';
