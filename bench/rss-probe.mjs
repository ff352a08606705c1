// Preloaded into the CLI child by bench/run.mjs (`node --import`): at exit, writes the child's
// peak resident set size (KB, process.resourceUsage().maxRSS) to $GRADCAM_BENCH_RSS_FILE.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  const file = process.env.GRADCAM_BENCH_RSS_FILE;
  if (file) writeFileSync(file, String(process.resourceUsage().maxRSS));
});
