import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { ProfileReport } from './report';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

const ROOT = relative('/', `${__dirname}/../..`);

/** Where a frame's code comes from: an npm package, Brain's own source, Node itself, or the VM (GC, idle). */
function packageOf(url: string, functionName: string): string {
  if (!url) {
    if (/^\((garbage collector|idle|program|root)\)$/.test(functionName)) return functionName;
    return '(native)';
  }
  if (url.startsWith('node:')) return 'node (core)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const brain = /\/(src|bench|test)\/(.*)$/.exec(url);
  if (brain) return `brain ${brain[1]}/${brain[2].split('/')[0]}`;
  return url;
}

function where(url: string, line: number): string {
  if (!url) return '';
  const path = url.replace(/^file:\/\//, '').replace(`/${ROOT}/`, '');
  const modules = path.lastIndexOf('node_modules/');
  return `${modules >= 0 ? path.slice(modules + 'node_modules/'.length) : path}:${line + 1}`;
}

/** Self time by package and the functions with the most self time, as percentages of all samples. */
export function summarizeProfile(
  profile: CpuProfile,
  title: string,
  what: string,
  file?: string,
): ProfileReport {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  // The nearest caller outside Node's own and native frames: who in the app or its libraries asked for the work.
  const callerOf = (id: number): string => {
    let current = parentOf.get(id);
    while (current !== undefined) {
      const { functionName, url, lineNumber } = byId.get(current)!.callFrame;
      if (url && !url.startsWith('node:'))
        return `${functionName || '(anonymous)'} (${where(url, lineNumber)})`;
      current = parentOf.get(current);
    }
    return '';
  };
  const hits = new Map<number, number>();
  if (profile.samples) for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  else for (const node of profile.nodes) hits.set(node.id, node.hitCount ?? 0);
  const total = [...hits.values()].reduce((sum, n) => sum + n, 0) || 1;
  const packages = new Map<string, number>();
  const functions = new Map<
    string,
    { name: string; where: string; hits: number; callers: Map<string, number> }
  >();
  for (const [id, n] of hits) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const name = functionName || '(anonymous)';
    const pkg = packageOf(url, name);
    packages.set(pkg, (packages.get(pkg) ?? 0) + n);
    const key = `${name}|${url}|${lineNumber}`;
    const entry = functions.get(key) ?? {
      name,
      where: `${pkg}: ${where(url, lineNumber)}`,
      hits: 0,
      callers: new Map<string, number>(),
    };
    entry.hits += n;
    const caller = url && !url.startsWith('node:') ? '' : callerOf(id);
    if (caller) entry.callers.set(caller, (entry.callers.get(caller) ?? 0) + n);
    functions.set(key, entry);
  }
  const percent = (n: number) => (n / total) * 100;
  return {
    title,
    what,
    sampledSeconds: (profile.endTime - profile.startTime) / 1e6,
    byPackage: [...packages]
      .map(([name, n]) => ({ name, percent: percent(n) }))
      .sort((a, b) => b.percent - a.percent),
    topFunctions: [...functions.values()]
      .filter((fn) => fn.name !== '(idle)')
      .map((fn) => ({
        name: fn.name,
        where: fn.where,
        percent: percent(fn.hits),
        calledFrom: [...fn.callers].sort((a, b) => b[1] - a[1])[0]?.[0],
      }))
      .sort((a, b) => b.percent - a.percent)
      .slice(0, 25),
    file,
  };
}

export function readProfile(path: string): CpuProfile {
  return JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
}
