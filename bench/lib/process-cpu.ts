import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux the bench runs on). */
const TICKS = 100;

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime (children that exited and were waited for count in their parent). */
  ticks: number;
  threads: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    return { pid, ppid: Number(fields[1]), ticks, threads: Number(fields[17]) };
  } catch {
    return undefined; // gone between the listing and the read
  }
}

/** The process `root` and every live descendant (cluster workers, child processes), from /proc. */
export function processTree(root: number): ProcStat[] {
  const all = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((stat): stat is ProcStat => stat !== undefined);
  const tree = all.filter((stat) => stat.pid === root);
  for (let i = 0; i < tree.length; i++) tree.push(...all.filter((stat) => stat.ppid === tree[i].pid));
  return tree;
}

/**
 * CPU seconds (user + system) used so far by `root` and its descendants, with how many processes and threads the
 * tree has now. A descendant that exits between two readings loses its CPU unless its parent reaped it.
 */
export function treeCpu(root: number): { seconds: number; processes: number; threads: number } {
  const tree = processTree(root);
  if (tree.length === 0) throw new Error(`process ${root} is gone`);
  return {
    seconds: tree.reduce((sum, stat) => sum + stat.ticks, 0) / TICKS,
    processes: tree.length,
    threads: tree.reduce((sum, stat) => sum + stat.threads, 0),
  };
}
