// Preloaded into the CLI child by bench/run.mjs (`node --import`): at exit, writes the child's
// peak resident set size in KB to $GRADCAM_BENCH_RSS_FILE. On Linux that is VmHWM from
// /proc/self/status, the high-water mark of this process' own address space:
// process.resourceUsage().maxRSS would also count the parent's size at fork (Linux carries
// ru_maxrss across exec). Elsewhere, maxRSS.
import { readFileSync, writeFileSync } from 'node:fs';

/** Peak RSS of this process in KB. */
export function peakRssKb() {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}

process.on('exit', () => {
  const file = process.env.GRADCAM_BENCH_RSS_FILE;
  if (file) writeFileSync(file, String(peakRssKb()));
});
