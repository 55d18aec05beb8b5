import { formatNumber, formatRatio, GoalRow, verdict } from './goals';
import { Machine, machineLine } from './machine';
import { ScenarioOutcome } from './results';

export interface BenchReport {
  date: string;
  machine: Machine;
  settings: Record<string, unknown>;
  totalSeconds: number;
  scenarios: ScenarioOutcome[];
  /** Issue 13's goals, each against its reference from this run. */
  goals?: GoalRow[];
  profiles?: ProfileReport[];
}

export interface ProfileReport {
  title: string;
  what: string;
  sampledSeconds: number;
  byPackage: { name: string; percent: number }[];
  topFunctions: { name: string; where: string; percent: number; calledFrom?: string }[];
  file?: string;
}

/** The Markdown the README shows: one table of every figure, then what the profiles say. */
export function toMarkdown(report: BenchReport): string {
  const lines: string[] = [];
  lines.push(
    `Measured ${report.date} on ${machineLine(report.machine)}; whole run ${Math.round(report.totalSeconds)} s.`,
  );
  lines.push('');
  if (report.goals?.length) {
    lines.push('| goal | measured | reference (same run) | ratio | target | met? |');
    lines.push('|---|---|---|---|---|---|');
    for (const goal of report.goals) {
      lines.push(
        `| ${goal.goal}. ${goal.what} | ${goal.measured} | ${goal.reference} | ${goal.ratio} | ${goal.target} | ${verdict(goal.met, true)} |`,
      );
    }
    lines.push('');
    lines.push(
      'Every figure of the run (the goals above are rows of it; notes say what each figure includes):',
    );
    lines.push('');
  }
  lines.push('| # | figure | value | reference (same run) | ratio | goal | |');
  lines.push('|---|---|---|---|---|---|---|');
  for (const scenario of report.scenarios) {
    if (scenario.notRun) {
      lines.push(`| ${scenario.id} | ${scenario.title} | not run: ${scenario.notRun} | | | | |`);
      continue;
    }
    for (const figure of scenario.figures) {
      const reference = figure.reference
        ? `${figure.reference.name}: ${formatNumber(figure.reference.value, figure.reference.unit)}`
        : '';
      const ratio = formatRatio(figure.ratio);
      const name = figure.note ? `${figure.name} (${figure.note})` : figure.name;
      lines.push(
        `| ${scenario.id} | ${name} | ${formatNumber(figure.value, figure.unit)} | ${reference} | ${ratio} | ${figure.goal ?? ''} | ${verdict(figure.met, true)} |`,
      );
    }
  }
  lines.push('');
  lines.push(
    'Values are medians of repeated runs (see `bench/results/latest.json` for every run). ' +
      `Settings: ${Object.entries(report.settings)
        .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('/') : String(value)}`)
        .join(', ')}.`,
  );
  for (const profile of report.profiles ?? []) {
    lines.push('');
    lines.push(
      `**Profile: ${profile.title}** (${profile.what}; ${profile.sampledSeconds.toFixed(0)} s sampled)`,
    );
    lines.push('');
    lines.push(
      `Self time by package: ${profile.byPackage
        .slice(0, 10)
        .map((p) => `${p.name} ${p.percent.toFixed(1)} %`)
        .join(', ')}.`,
    );
    lines.push('');
    lines.push('| self time | function | where |');
    lines.push('|---|---|---|');
    for (const fn of profile.topFunctions.slice(0, 12)) {
      const where = fn.calledFrom ? `${fn.where} ← ${fn.calledFrom}` : fn.where;
      lines.push(`| ${fn.percent.toFixed(1)} % | \`${fn.name}\` | ${where} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function alignColumns(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ')).join('\n');
}

/** The same figures, plain, for the terminal, and the goals of issue 13 last (the summary). */
export function toConsoleTable(report: BenchReport): string {
  const rows: string[][] = [['#', 'figure', 'value', 'reference', 'ratio', 'goal', '']];
  for (const scenario of report.scenarios) {
    if (scenario.notRun)
      rows.push([String(scenario.id), scenario.title, `not run: ${scenario.notRun}`, '', '', '', '']);
    for (const figure of scenario.figures) {
      rows.push([
        String(scenario.id),
        figure.name.slice(0, 60),
        formatNumber(figure.value, figure.unit),
        figure.reference ? formatNumber(figure.reference.value, figure.reference.unit) : '',
        formatRatio(figure.ratio),
        figure.goal ?? '',
        verdict(figure.met, false),
      ]);
    }
  }
  const goals: string[][] = [['goal', 'measured', 'reference (same run)', 'ratio', 'target', 'met?']];
  for (const goal of report.goals ?? []) {
    goals.push([
      `${goal.goal}. ${goal.what.slice(0, 70)}`,
      goal.measured,
      goal.reference,
      goal.ratio,
      goal.target,
      verdict(goal.met, false),
    ]);
  }
  return `${alignColumns(rows)}\n\nIssue 13 goals (each against its reference measured in this run):\n${alignColumns(goals)}`;
}
