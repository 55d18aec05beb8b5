const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression selects. Not a full parser: it removes what cannot hold a metric name
 * (strings, label matchers, ranges and subqueries, offsets and @ modifiers, grouping label lists), then keeps the identifiers that are not
 * functions or aggregations (followed by `(`), keywords or numbers. Grafana's `$variables` sit inside matchers or
 * ranges and go with them.
 */
export function metricNamesIn(expression: string): string[] {
  const stripped = expression
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\boffset\s+-?[0-9a-z]+/gi, ' ')
    .replace(/@\s*(?:[\d.]+|start\(\)|end\(\))/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(
    /(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?)|([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/gi,
  )) {
    const [, identifier, call] = match;
    if (identifier && !call && !KEYWORDS.has(identifier.toLowerCase())) names.add(identifier);
  }
  return [...names];
}

/**
 * The family (`# TYPE` name) that a selected series name belongs to, or undefined if /metrics has none: a histogram
 * is selected as `<name>_bucket`, `_sum` or `_count` (its bare name selects nothing), a summary as its bare name (the
 * quantiles), `_sum` or `_count`.
 */
export function familyOf(name: string, families: Map<string, string>): string | undefined {
  const type = families.get(name);
  if (type !== undefined) return type === 'histogram' ? undefined : name;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const base = name.slice(0, -suffix.length);
    const baseType = families.get(base);
    if (baseType === 'histogram' || (baseType === 'summary' && suffix !== '_bucket')) return base;
  }
  return undefined;
}

/** The label names each `metric{...}` selector of an expression matches on, e.g. `a{x="1",y=~"2"}` -> a: [x, y]. */
export function labelMatchersIn(expression: string): { metric: string; labels: string[] }[] {
  const selectors: { metric: string; labels: string[] }[] = [];
  for (const [, metric, body] of expression.matchAll(
    /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{((?:[^}"]|"(?:[^"\\]|\\.)*")*)\}/g,
  )) {
    const withoutValues = body.replace(/"(?:[^"\\]|\\.)*"/g, '""');
    selectors.push({
      metric,
      labels: [...withoutValues.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1]),
    });
  }
  return selectors;
}
