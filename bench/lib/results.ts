/** What a scenario reports: figures, each with its reference measured in the same run, the ratio and the goal. */
export interface Figure {
  /** The goal of issue 13 this figure decides (the summary table lists these). */
  issueGoal?: number;
  name: string;
  value: number;
  unit: string;
  /** Individual measurements behind `value` (their median). */
  runs?: number[];
  reference?: { name: string; value: number; unit: string };
  /** value / reference.value */
  ratio?: number;
  goal?: string;
  /** undefined: no goal, or not decidable from this figure. */
  met?: boolean;
  note?: string;
}

export interface ScenarioOutcome {
  id: number;
  title: string;
  figures: Figure[];
  /** Set when the scenario could not run (e.g. the HTTP API is missing); says why. */
  notRun?: string;
  /** Anything else worth keeping in the JSON (raw samples, per-run details). */
  details?: unknown;
  seconds?: number;
}

export function ratioOf(value: number, reference: number): number {
  return reference > 0 ? value / reference : NaN;
}
