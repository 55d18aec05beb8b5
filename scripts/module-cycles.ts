import madge from 'madge';

/**
 * Fails on an import cycle between module folders (every folder directly under src/ is one node; files directly
 * in src/ are the composition root). `madge --circular` only sees cycles between files: memory/a → agents/b and
 * agents/c → memory/d make two modules depend on each other without any file cycle.
 */
async function main(): Promise<void> {
  const files = (await madge('src', { fileExtensions: ['ts'], tsConfig: 'tsconfig.json' })).obj();
  const moduleOf = (file: string): string => (file.includes('/') ? file.split('/')[0] : '(root)');
  const edges = new Map<string, Set<string>>();
  for (const [file, imports] of Object.entries(files)) {
    const from = moduleOf(file);
    for (const imported of imports) {
      const to = moduleOf(imported);
      if (to !== from && !imported.startsWith('..')) edges.set(from, (edges.get(from) ?? new Set()).add(to));
    }
  }

  // Depth-first search; a back edge to a folder on the current path closes a cycle.
  const cycles: string[][] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (node: string): void => {
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      const start = path.indexOf(next);
      if (start >= 0) cycles.push([...path.slice(start), next]);
      else if (!done.has(next)) visit(next);
    }
    path.pop();
    done.add(node);
  };
  for (const node of [...edges.keys()].sort()) if (!done.has(node)) visit(node);

  const graph = [...edges].map(([from, to]) => `  ${from} → ${[...to].sort().join(', ')}`).sort();
  if (cycles.length === 0) {
    console.log(`No cycle between module folders:\n${graph.join('\n')}`);
    return;
  }
  const which = (from: string, to: string): string[] =>
    Object.entries(files)
      .filter(([file]) => moduleOf(file) === from)
      .flatMap(([file, imports]) => imports.filter((i) => moduleOf(i) === to).map((i) => `${file} → ${i}`));
  for (const cycle of cycles) {
    console.error(`module cycle: ${cycle.join(' → ')}`);
    for (let i = 0; i + 1 < cycle.length; i += 1)
      for (const line of which(cycle[i], cycle[i + 1])) console.error(`    ${line}`);
  }
  process.exitCode = 1;
}

main().catch((error: Error) => {
  console.error(error);
  process.exitCode = 1;
});
