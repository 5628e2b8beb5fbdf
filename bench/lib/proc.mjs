// Server CPU from /proc/PID/stat: utime + stime (fields 14 and 15) of the process, which on Linux
// include all of its threads (uWS workers, JVM threads, libuv pool). Several PIDs may be summed.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let TICKS = 100;
try { TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100; } catch { /* default */ }

export function cpuSeconds(pid) {
  const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  return (Number(f[11]) + Number(f[12])) / TICKS;       // fields 14, 15
}

export function sumCpu(pids) {
  let t = 0;
  for (const p of pids) t += cpuSeconds(p);
  return t;
}

export function rssMiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch { return null; }
}

export function parsePids(v) {
  if (v === undefined || v === null || v === '' || v === true) return [];
  return String(v).split(',').filter(Boolean).map(Number);
}

// Whole-machine busy CPU seconds (all cores) from /proc/stat, to see other load on the machine.
export function machineBusySeconds() {
  const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const busy = line[0] + line[1] + line[2] + line[5] + line[6] + (line[7] || 0);
  return busy / TICKS;
}
