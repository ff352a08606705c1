// Runs after `pnpm install` at the workspace root. tfjs-node is optional and its own install
// script needs the internet; when it left no native binding and this machine carries a
// TensorFlow wheel, build the binding from that wheel (scripts/offline-tfjs-node) so the fast
// 'tensorflow' backend works offline too. Never fails the install: gradcam runs on wasm without it.
// Opt out with GRADCAM_SKIP_OFFLINE_TFJS_NODE=1.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const note = (message) => console.log(`gradcam postinstall: ${message}`);

function tfjsNodeLoads() {
  const probe = spawnSync(process.execPath, ['-e', "require('@tensorflow/tfjs-node')"], {
    cwd: `${root}packages/backend-node`,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
    encoding: 'utf8',
  });
  return { ok: probe.status === 0, reason: (probe.stderr.match(/Error: (.*)/) ?? [])[1] ?? probe.stderr.trim().split('\n')[0] };
}

const require = createRequire(`${root}packages/backend-node/package.json`);
let installed = true;
try {
  require.resolve('@tensorflow/tfjs-node/package.json');
} catch {
  installed = false;
}

if (!installed) {
  note('@tensorflow/tfjs-node is not installed (optional); gradcam will use wasm.');
} else if (tfjsNodeLoads().ok) {
  note("tfjs-node loads: the 'tensorflow' backend is available.");
} else if (process.env.GRADCAM_SKIP_OFFLINE_TFJS_NODE === '1') {
  note('tfjs-node has no native binding and GRADCAM_SKIP_OFFLINE_TFJS_NODE=1: not building it; gradcam will use wasm.');
} else {
  note('tfjs-node has no native binding (its download failed); building it from a local TensorFlow wheel…');
  const build = spawnSync('bash', [`${root}scripts/offline-tfjs-node`, 'run', '--', 'npx', '-y', 'pnpm@10', '-r', 'rebuild', '@tensorflow/tfjs-node'], {
    cwd: root,
    stdio: 'inherit',
  });
  const after = tfjsNodeLoads();
  if (build.status === 0 && after.ok) note("tfjs-node built offline: the 'tensorflow' backend is available.");
  else note(`tfjs-node could not be built here (${after.reason || 'see above'}); gradcam will use wasm. See DEVELOPERS.md.`);
}
