/** Reads one sample's value from Prometheus text, e.g. sample(body, 'x_count{route="/a"}'); undefined if absent. */
export function sample(body: string, series: string): number | undefined {
  const line = body.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Every metric family the text declares (`# TYPE name type`), name -> type. */
export function metricFamilies(body: string): Map<string, string> {
  const families = new Map<string, string>();
  for (const match of body.matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(match[1], match[2]);
  return families;
}

/** The label names the samples of a family carry (a histogram's `_bucket`, `_sum` and `_count` samples included). */
export function labelNamesOf(body: string, family: string): Set<string> {
  const names = new Set<string>();
  const series = new Set([family, `${family}_bucket`, `${family}_sum`, `${family}_count`]);
  for (const [, name, labels] of body.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/gm)) {
    if (!series.has(name)) continue;
    for (const [, label] of labels.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) names.add(label);
  }
  return names;
}
