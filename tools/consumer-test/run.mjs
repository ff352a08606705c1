#!/usr/bin/env node
// The consumer test: the workspace's packages as npm users get them. Runs after `pnpm build` and
// builds nothing itself. It packs every non-private workspace package with `pnpm pack` (which
// turns workspace:^ into real ranges) and checks each tarball (exports targets and .d.ts present,
// LICENSE, README, no workspace: range, source maps with sourcesContent), then installs the
// tarballs into fresh npm projects in a temporary folder (no unexpected npm warning, `npm ls`
// clean) and uses them there:
//
//   node       ESM import of every `exports` entry, the README's job on wasm (PNG overlay, tensor
//              count back where it started), the 'tensorflow' backend and the `gradcam` CLI, CJS
//              require() of every entry, `tsc --noEmit` (strict, skipLibCheck false) under
//              `node16` and under `bundler` resolution, every type met in an exported signature
//              importable from its package
//   vite       `vite build` of a small page: zero warnings, no Node-only code in the bundle, the
//              three .wasm files emitted; the built page and the dev server's page explain an
//              image in Chromium, on wasm and on webgl, with every request on the app's origin
//   two-cores  @gradcam/models with its own copy of @gradcam/core (another version): the
//              registries and isInstance work across the two copies
//
// The @gradcam/* ranges inside the tarballs (^0.1.0) do not exist on the npm registry: each
// project maps every workspace package to its tarball with npm `overrides`, routes the @gradcam
// scope to a closed port (.npmrc), and the test checks package-lock.json: every gradcam package
// came from a tarball. Third-party packages come from the registry through npm's default cache
// (prefer-offline), so a second run downloads nothing.
//
// tfjs-node: the node project installs through scripts/offline-tfjs-node, so the optional
// @tensorflow/tfjs-node of @gradcam/backend-node builds its binding from the machine's
// TensorFlow wheel as a user's install would from the internet. The other projects need no
// native code and install with --ignore-scripts.
//
// Usage: node tools/consumer-test/run.mjs [--only node,vite,two-cores] [--keep]
// Env:   GRADCAM_SKIP_CONSUMER=1   leave the whole test out (local runs only; CI never sets it)
//        GRADCAM_SKIP_TFJS_NODE=1  install the node project with --ignore-scripts, leave out the
//                                  'tensorflow' backend and CLI checks
//        GRADCAM_SKIP_BROWSER=1    leave out the Chromium runs
//        GRADCAM_CONSUMER_KEEP=1   keep the temporary folder (also kept when a check fails)
//        CHROMIUM_PATH             the Chromium to run (default: Debian's)
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const SAMPLE_IMAGE = join(ROOT, 'examples/images/chelsea.png');
const GROUPS = ['node', 'vite', 'two-cores'];

const { values: cli } = parseArgs({ options: { only: { type: 'string' }, keep: { type: 'boolean' } } });
const only = cli.only ? cli.only.split(',') : GROUPS;
for (const group of only) if (!GROUPS.includes(group)) fail(`--only: unknown group '${group}' (valid: ${GROUPS.join(', ')})`);
const skip = (name) => process.env[`GRADCAM_SKIP_${name}`] === '1';

if (skip('CONSUMER')) {
  console.log('consumer-test: skipped (GRADCAM_SKIP_CONSUMER=1)');
  process.exit(0);
}

/** A failed check: what went wrong and the output that shows it. */
class Failure extends Error {
  constructor(message, output = '') {
    super(message);
    this.output = output;
  }
}

function fail(message) {
  console.error(`consumer-test: ${message}`);
  process.exit(2);
}

const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** Process groups still running, stopped if this script is interrupted (they run detached). */
const running = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const pid of running) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {}
    }
    process.exit(130);
  });
}

/**
 * The environment a user's shell would give the commands: without the npm_* variables of the
 * package manager that runs this script (`pnpm test` sets npm_config_verify_deps_before_run,
 * npm_config__jsr_registry, … which npm then warns about as unknown configuration).
 */
const USER_ENV = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));

/**
 * Runs a command; resolves with its exit code and output (stdout, stderr, and both interleaved).
 * Throws a Failure carrying the output when it exits non-zero, unless `allowFailure`.
 */
function run(command, args, { cwd, env = {}, allowFailure = false, timeoutMs = 10 * 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout stops everything it started (npx → npm → node…).
    const child = spawn(command, args, { cwd, env: { ...USER_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    running.add(child.pid);
    let stdout = '';
    let stderr = '';
    let output = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      output += chunk;
    });
    const timer = setTimeout(() => {
      output += `\n[consumer-test: killed after ${timeoutMs / 1000} s]`;
      process.kill(-child.pid, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Failure(`cannot run ${command}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child.pid);
      const result = { code: code ?? 1, stdout, stderr, output };
      const shown = [command, ...args].join(' ');
      if (code !== 0 && !allowFailure) reject(new Failure(`\`${shown}\` in ${cwd} exited with ${code ?? signal}`, output));
      else resolve(result);
    });
  });
}

const readJson = async (path) => JSON.parse(await readFile(path, 'utf8'));
const writeJson = (path, value) => writeFile(path, `${JSON.stringify(value, null, 2)}\n`);

async function filesUnder(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      out.push(
        relative(dir, join(entry.parentPath ?? entry.path, entry.name))
          .split(sep)
          .join('/'),
      );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Package entries: every `exports` subpath, resolved the way each consumer resolves it.

/** Follows export conditions in their order in the map, as Node and TypeScript do. */
function resolveConditions(value, conditions) {
  if (typeof value === 'string' || value === null) return value;
  if (Array.isArray(value)) return resolveConditions(value[0], conditions);
  for (const [key, next] of Object.entries(value)) {
    if (conditions.includes(key)) {
      const found = resolveConditions(next, conditions);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * The entries of a package: one per `exports` subpath (patterns expanded against the files the
 * tarball carries), with the file Node's `import` loads and the declaration file TypeScript reads.
 */
function entriesOf(pkg, files) {
  let map = pkg.exports ?? { '.': pkg.main ?? './index.js' };
  if (typeof map === 'string' || Array.isArray(map) || !Object.keys(map).every((key) => key.startsWith('.'))) map = { '.': map };
  const entries = [];
  for (const [key, value] of Object.entries(map)) {
    const target = resolveConditions(value, ['node', 'import', 'default']);
    const types = resolveConditions(value, ['types', 'node', 'import', 'default']);
    if (target === null || target === undefined) continue;
    const subpaths = [];
    if (key.includes('*')) {
      const [before, after] = target.replace(/^\.\//, '').split('*');
      for (const file of files) {
        if (file.startsWith(before) && file.endsWith(after) && file.length > before.length + after.length) {
          subpaths.push({ key: key.replace('*', file.slice(before.length, file.length - after.length)), file });
        }
      }
      if (subpaths.length === 0) throw new Failure(`${pkg.name}: the exports pattern '${key}' → '${target}' matches no file in the tarball`);
    } else {
      subpaths.push({ key, file: target.replace(/^\.\//, ''), types: types?.replace(/^\.\//, '') });
    }
    for (const { key: subpath, file, types: typesFile } of subpaths) {
      const kind = /\.[cm]?js$/.test(file) ? 'js' : 'asset';
      entries.push({ package: pkg.name, subpath, specifier: subpath === '.' ? pkg.name : `${pkg.name}${subpath.slice(1)}`, kind, file, types: typesFile });
    }
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// Packing and checking the tarballs.

/** The non-private workspace packages, from pnpm itself (so new packages are picked up). */
async function workspacePackages() {
  const { stdout } = await run('npx', ['-y', 'pnpm@10', 'ls', '-r', '--json', '--depth=-1'], { cwd: ROOT });
  const all = JSON.parse(stdout);
  const published = all.filter((p) => !p.private && p.name && p.version);
  if (published.length === 0) throw new Failure('pnpm lists no non-private workspace package');
  return published.map((p) => ({ name: p.name, version: p.version, dir: p.path }));
}

/** Refuses to pack packages whose build outputs are missing: this script builds nothing. */
async function checkBuilt(packages) {
  const missing = [];
  for (const { name, dir } of packages) {
    const pkg = await readJson(join(dir, 'package.json'));
    for (const entry of entriesOf(pkg, await filesUnder(dir).catch(() => []))) {
      for (const file of [entry.file, entry.types]) if (file && !existsSync(join(dir, file))) missing.push(`${name}: ${file}`);
    }
  }
  if (missing.length > 0) {
    throw new Failure(`build outputs are missing; run \`npx -y pnpm@10 build\` first:\n  ${missing.join('\n  ')}`);
  }
}

async function packAll(packages, into) {
  await mkdir(into, { recursive: true });
  const filters = packages.flatMap((p) => ['--filter', p.name]);
  const { stdout } = await run('npx', ['-y', 'pnpm@10', '-r', ...filters, 'pack', '--pack-destination', into, '--json'], { cwd: ROOT });
  const packed = [JSON.parse(stdout)].flat();
  const tarballs = new Map(packed.map((p) => [p.name, p.filename]));
  for (const { name } of packages)
    if (!tarballs.get(name) || !existsSync(tarballs.get(name))) throw new Failure(`pnpm pack made no tarball for ${name}`, stdout);
  return tarballs;
}

const INTERNAL_DEP_FIELDS = ['dependencies', 'optionalDependencies', 'peerDependencies'];

/**
 * What each tarball must carry: its exports targets and declaration files, LICENSE and README,
 * real ranges instead of workspace: ones, and source maps that embed their sources (the
 * tarballs ship dist/ only, so a map without sourcesContent would point at nothing).
 */
async function checkTarball(name, tarball, extractDir, names) {
  await mkdir(extractDir, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', extractDir]);
  const dir = join(extractDir, 'package');
  const files = await filesUnder(dir);
  const pkg = await readJson(join(dir, 'package.json'));
  const problems = [];
  for (const required of ['LICENSE', 'README.md']) if (!files.includes(required)) problems.push(`no ${required}`);
  const raw = await readFile(join(dir, 'package.json'), 'utf8');
  if (raw.includes('workspace:')) problems.push('package.json still has a workspace: range');
  for (const field of INTERNAL_DEP_FIELDS) {
    for (const [dep, range] of Object.entries(pkg[field] ?? {})) {
      if (names.has(dep) && !/^[\^~]?\d+\.\d+\.\d+/.test(range)) problems.push(`${field}.${dep} is '${range}', not a semver range`);
    }
  }
  const entries = entriesOf(pkg, files);
  for (const entry of entries) {
    if (!files.includes(entry.file)) problems.push(`exports '${entry.subpath}' → ${entry.file}, which the tarball lacks`);
    if (entry.kind === 'js' && !entry.types) problems.push(`exports '${entry.subpath}' has no types condition`);
    if (entry.types && !files.includes(entry.types)) problems.push(`exports '${entry.subpath}' types → ${entry.types}, which the tarball lacks`);
  }
  for (const bin of Object.values(typeof pkg.bin === 'string' ? { [pkg.name]: pkg.bin } : (pkg.bin ?? {}))) {
    if (!files.includes(bin.replace(/^\.\//, ''))) problems.push(`bin ${bin} is missing`);
  }
  for (const map of files.filter((f) => f.endsWith('.js.map'))) {
    const { sources = [], sourcesContent = [] } = await readJson(join(dir, map));
    const without = sources.filter((_, i) => typeof sourcesContent[i] !== 'string');
    if (without.length > 0) problems.push(`${map} has no sourcesContent for ${without.join(', ')}`);
  }
  if (problems.length > 0) throw new Failure(`${name} (${tarball}):\n  ${problems.join('\n  ')}`);
  return { pkg, entries, dir };
}

/**
 * A copy of a tarball under another version (the repository's files are never touched): the
 * second @gradcam/core of the two-copies project.
 */
async function repackWithVersion(tarball, version, into) {
  const stage = await mkdtemp(join(into, 'repack-'));
  await run('tar', ['-xzf', tarball, '-C', stage]);
  const path = join(stage, 'package/package.json');
  const pkg = await readJson(path);
  pkg.version = version;
  await writeJson(path, pkg);
  const out = join(into, `${pkg.name.replace('@', '').replace('/', '-')}-${version}.tgz`);
  await run('tar', ['-czf', out, '-C', stage, 'package']);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Fresh npm projects.

const NPMRC = [
  // A @gradcam/* range that escapes the overrides would otherwise be looked up on the registry.
  '@gradcam:registry=http://127.0.0.1:9/',
  'fund=false',
  'audit=false',
  'update-notifier=false',
  'prefer-offline=true',
  '',
].join('\n');

/**
 * npm warnings that may appear in an install, each with why. Any other `npm warn` fails the
 * install check.
 */
const KNOWN_INSTALL_WARNINGS = [
  // scripts/offline-tfjs-node sets this for node-pre-gyp (tfjs-node's binding probe); npm does not know it.
  /Unknown env config "tfjs-binding-binary-host-mirror"/,
  // npm ≥ 11.x lists dependencies whose install scripts package.json's `allowScripts` does not
  // cover (the consumer approves tfjs-node's only): core-js (via tfjs-node's @tensorflow/tfjs),
  // esbuild, msgpackr-extract (bullmq's optional native msgpack, for @gradcam/queue). (No
  // EBADENGINE is allowed: since the weights left nsfwjs, nothing installed restricts Node.)
  /^npm warn install-scripts\b/,
];

/** The consumer's package.json: the tarballs as dependencies and as overrides of every internal package. */
function consumerManifest(name, { tarballs, dependencies, devDependencies = {}, overrides = {} }) {
  const fileSpec = (path) => `file:${path}`;
  const all = Object.fromEntries([...tarballs].map(([pkg, path]) => [pkg, fileSpec(path)]));
  const deps = {};
  for (const [dep, spec] of Object.entries(dependencies)) deps[dep] = spec ?? all[dep];
  return {
    name,
    private: true,
    type: 'module',
    dependencies: deps,
    devDependencies,
    // npm wants an override of a direct dependency to equal its spec: same file: spec.
    overrides: { ...all, ...overrides },
    allowScripts: { '@tensorflow/tfjs-node': true },
  };
}

async function npmInstall(project, { scripts, log }) {
  const args = ['install', '--no-audit', '--no-fund', ...(scripts ? [] : ['--ignore-scripts'])];
  const command = scripts ? [join(ROOT, 'scripts/offline-tfjs-node'), 'run', '--', 'npm', ...args] : ['npm', ...args];
  const started = Date.now();
  const { output } = await run(command[0], command.slice(1), { cwd: project });
  const unknown = output
    .split('\n')
    .filter((line) => /^npm warn/i.test(line))
    .filter((line) => !KNOWN_INSTALL_WARNINGS.some((re) => re.test(line)));
  if (unknown.length > 0) throw new Failure(`npm install warned:\n  ${unknown.join('\n  ')}`, output);
  // A consistent tree: nothing missing, invalid or extraneous (an exact-pinned optional peer once
  // made npm install a second esbuild that nothing used).
  const ls = await run('npm', ['ls', '--all', '--json'], { cwd: project, allowFailure: true });
  const problems = JSON.parse(ls.stdout || '{}').problems ?? [];
  if (problems.length > 0) throw new Failure(`npm ls reports:\n  ${problems.join('\n  ')}`, ls.output);
  log(`npm install in ${seconds(started)}`);
  return output;
}

/** Every gradcam package in package-lock.json came from one of our tarballs, none from a registry. */
async function checkLockfile(project, tarballs, extra = []) {
  const lock = await readJson(join(project, 'package-lock.json'));
  const ours = new Set([...tarballs.values(), ...extra].map((p) => `file:${relative(project, p)}`));
  const problems = [];
  let count = 0;
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (!path || !(tarballs.has(name) || name.startsWith('@gradcam/'))) continue;
    count++;
    if (!ours.has(entry.resolved)) problems.push(`${path}: resolved ${entry.resolved ?? '(nothing)'}, not a packed tarball`);
  }
  if (count === 0) problems.push('no gradcam package in package-lock.json');
  if (problems.length > 0) throw new Failure(`package-lock.json:\n  ${problems.join('\n  ')}`);
}

async function copyFixture(name, into) {
  await cp(join(FIXTURES, name), into, { recursive: true });
}

// ---------------------------------------------------------------------------------------------
// The scenarios.

const results = [];

/** Runs one check, records its outcome and time; never throws. */
async function check(group, name, body) {
  const started = Date.now();
  try {
    const note = await body();
    results.push({ group, name, ok: true, time: seconds(started), note });
    console.log(`consumer-test: ✓ ${group}: ${name} (${seconds(started)})${note ? ` — ${note}` : ''}`);
    return true;
  } catch (error) {
    const failure = error instanceof Failure ? error : new Failure(error?.stack ?? String(error));
    results.push({ group, name, ok: false, time: seconds(started), failure });
    console.log(`consumer-test: ✗ ${group}: ${name} (${seconds(started)}) — ${failure.message.split('\n')[0]}`);
    return false;
  }
}

/** The last lines of a program's output, for a result note. */
const lastLine = (output) => output.trim().split('\n').at(-1);

const NODE_ENV = { TF_CPP_MIN_LOG_LEVEL: '2', TF_ENABLE_ONEDNN_OPTS: '0' };

async function nodeGroup(ctx) {
  const project = join(ctx.work, 'node');
  await mkdir(project);
  const ok = await check('node', `install (every package${skip('TFJS_NODE') ? ', --ignore-scripts' : ', tfjs-node built offline'})`, async () => {
    await copyFixture('node', project);
    await cp(SAMPLE_IMAGE, join(project, 'sample.png'));
    await writeJson(join(project, 'entries.json'), ctx.entries);
    await writeFile(join(project, 'entries.ts'), typeEntries(ctx.entries));
    const dependencies = Object.fromEntries([...ctx.tarballs.keys()].map((name) => [name, undefined]));
    dependencies['@tensorflow/tfjs-core'] = ctx.versions.tfjsCore;
    const manifest = consumerManifest('gradcam-consumer-node', {
      tarballs: ctx.tarballs,
      dependencies,
      // A user of every entry has the optional peers those entries need (playwright-core for
      // @gradcam/backend-webgl/testing…), at the ranges the packages ask for.
      devDependencies: { ...optionalPeers(ctx), typescript: ctx.versions.typescript, '@types/node': ctx.versions.typesNode },
    });
    await writeJson(join(project, 'package.json'), manifest);
    await writeFile(join(project, '.npmrc'), NPMRC);
    // GRADCAM_SKIP_TFJS_NODE=1: no native build (and no TensorFlow wheel needed); tfjs-node stays without its binding.
    await npmInstall(project, { scripts: !skip('TFJS_NODE'), log: () => {} });
    await checkLockfile(project, ctx.tarballs);
    return `${ctx.tarballs.size} packages from tarballs`;
  });
  if (!ok) return;

  await check('node', 'ESM: import every entry, explain on wasm, PNG overlay, no leaked tensors', async () => {
    const { output } = await run('node', ['esm.mjs'], { cwd: project, env: NODE_ENV });
    return lastLine(output);
  });
  await check('node', 'CJS: require() every entry (the same modules as import)', async () => {
    const { output } = await run('node', ['cjs.cjs'], { cwd: project, env: NODE_ENV });
    return lastLine(output);
  });
  await check('node', "'tensorflow' backend (tfjs-node) and the gradcam CLI", async () => {
    if (skip('TFJS_NODE')) return 'skipped (GRADCAM_SKIP_TFJS_NODE=1)';
    const { output } = await run('node', ['tensorflow.mjs'], { cwd: project, env: NODE_ENV });
    const cliPkg = ctx.packages.find((p) => p.name === '@gradcam/cli');
    if (!cliPkg) return `${lastLine(output)}; no @gradcam/cli package`;
    const version = (await run('npx', ['--no-install', 'gradcam', '--version'], { cwd: project })).stdout.trim();
    if (version !== cliPkg.version) throw new Failure(`\`gradcam --version\` printed '${version}', expected '${cliPkg.version}'`);
    const out = join(project, 'cli-out');
    const explain = await run('npx', ['--no-install', 'gradcam', 'explain', 'sample.png', '--out', out, '--json', join(project, 'cli.json')], {
      cwd: project,
      env: NODE_ENV,
    });
    const pngs = (await readdir(out)).filter((f) => f.endsWith('.png'));
    if (pngs.length === 0) throw new Failure('gradcam explain wrote no PNG', explain.output);
    const report = await readFile(join(project, 'cli.json'), 'utf8');
    if (!report.includes('"tensorflow"')) throw new Failure("gradcam explain's JSON does not name the 'tensorflow' backend", report);
    return `${lastLine(output)}; gradcam ${version} wrote ${pngs.join(', ')}`;
  });
  for (const config of ['tsconfig.node16.json', 'tsconfig.bundler.json']) {
    await check('node', `TypeScript: tsc --noEmit -p ${config} (strict, skipLibCheck false)`, async () => {
      const { output } = await run('npx', ['--no-install', 'tsc', '--noEmit', '--pretty', 'false', '-p', config], { cwd: project, allowFailure: true });
      return typeErrors(output, ctx.tarballs);
    });
  }
  await check('node', 'TypeScript: every type in an exported signature is importable from its package', async () => {
    const { output } = await run('node', ['exported-types.mjs'], { cwd: project });
    return lastLine(output);
  });
}

/**
 * Third-party declaration files that fail a strict check with skipLibCheck false, whoever
 * imports them; gradcam's types reference them, so every strict consumer sees these. Errors in
 * any other file (gradcam's .d.ts, the consumer's code, another dependency) fail the check.
 */
const KNOWN_TYPE_ERRORS = {
  // Not strictNullChecks-clean: optional members against the PyJsonValue index signature
  // (TS2411) and LayersModel.inputs against InferenceModel (TS2420). LoadedModel.model is a LayersModel.
  '@tensorflow/tfjs-layers': /error TS(2411|2420):/,
  // ioredis' declarations import redis-errors, which has no types (TS7016); @gradcam/queue's API names ioredis types.
  ioredis: /error TS7016: .*'redis-errors'/,
};

/** Sorts tsc's errors by the package of the file they are in; throws unless only known third-party ones remain. */
function typeErrors(output, tarballs) {
  const errors = output.split('\n').filter((line) => /^\S.*\(\d+,\d+\): error TS/.test(line));
  const unexplained = [];
  const known = new Map();
  for (const line of errors) {
    const owner = line.match(/^node_modules\/((?:@[^/]+\/)?[^/]+)\//)?.[1];
    const rule = owner && !tarballs.has(owner) ? KNOWN_TYPE_ERRORS[owner] : undefined;
    if (rule?.test(line)) known.set(owner, (known.get(owner) ?? 0) + 1);
    else unexplained.push(line);
  }
  if (unexplained.length > 0 || (errors.length === 0 && output.trim() !== '')) {
    throw new Failure(`tsc: ${unexplained.length} error(s) in gradcam's declarations, the consumer's code or an unexpected dependency`, output);
  }
  return known.size > 0 ? `known upstream declaration errors only: ${[...known].map(([pkg, n]) => `${pkg} ${n}`).join(', ')}` : 'no errors';
}

/** The optional peer dependencies of every packed package that is not itself packed, with their ranges. */
function optionalPeers(ctx) {
  const peers = {};
  for (const { pkg } of ctx.manifests.values()) {
    for (const [name, meta] of Object.entries(pkg.peerDependenciesMeta ?? {})) {
      if (meta?.optional && !ctx.tarballs.has(name) && pkg.peerDependencies?.[name]) peers[name] = pkg.peerDependencies[name];
    }
  }
  return peers;
}

/** A .ts file that imports every entry with declarations, so tsc reads (and checks) all of them. */
function typeEntries(entries) {
  const lines = ['// Generated by tools/consumer-test/run.mjs: one import per exports entry of every package.'];
  const used = [];
  entries
    .filter((e) => e.kind === 'js' && e.types)
    .forEach((entry, i) => {
      lines.push(`import * as entry${i} from '${entry.specifier}';`);
      used.push(`entry${i}`);
    });
  lines.push(`export const everyEntry: readonly object[] = [${used.join(', ')}];`, '');
  return lines.join('\n');
}

async function viteGroup(ctx) {
  const project = join(ctx.work, 'vite');
  await mkdir(project);
  const ok = await check('vite', 'install (gradcam + @gradcam/backend-webgl + vite)', async () => {
    await copyFixture('vite', project);
    await mkdir(join(project, 'src'), { recursive: true });
    await cp(SAMPLE_IMAGE, join(project, 'src/sample.png'));
    const manifest = consumerManifest('gradcam-consumer-vite', {
      tarballs: ctx.tarballs,
      // @gradcam/backend-wasm for dev.ts's setWasmPaths (the dev-server recipe); the build's page imports only the other two.
      dependencies: {
        gradcam: undefined,
        '@gradcam/backend-webgl': undefined,
        '@gradcam/backend-wasm': undefined,
        '@tensorflow/tfjs-core': ctx.versions.tfjsCore,
      },
      devDependencies: { vite: ctx.versions.vite, 'playwright-core': ctx.versions.playwright },
    });
    manifest.scripts = { build: 'vite build' };
    await writeJson(join(project, 'package.json'), manifest);
    await writeFile(join(project, '.npmrc'), NPMRC);
    await npmInstall(project, { scripts: false, log: () => {} });
    await checkLockfile(project, ctx.tarballs);
    return undefined;
  });
  if (!ok) return;

  await check('vite', 'the dev server: the page explains the image in Chromium (wasm and webgl), no warning', async () => {
    if (skip('BROWSER')) return 'skipped (GRADCAM_SKIP_BROWSER=1)';
    const { output } = await run('node', ['browser.mjs', '--dev'], { cwd: project, timeoutMs: 5 * 60_000 });
    return lastLine(output);
  });
  const built = await check('vite', 'vite build: zero warnings, no Node-only code, the three .wasm files', async () => {
    const { output } = await run('npx', ['--no-install', 'vite', 'build'], { cwd: project, env: { NO_COLOR: '1', CI: '1' } });
    const warnings = output.split('\n').filter((line) => /warn|externalized|deprecat|\(!\)/i.test(line));
    if (warnings.length > 0) throw new Failure(`vite build printed ${warnings.length} warning line(s):\n  ${warnings.slice(0, 20).join('\n  ')}`, output);
    const dist = join(project, 'dist');
    const files = await filesUnder(dist);
    // The .wasm files @gradcam/backend-wasm ships, each emitted once (under a hashed name).
    const sha = async (path) =>
      createHash('sha256')
        .update(await readFile(path))
        .digest('hex');
    const emitted = new Map();
    for (const file of files.filter((f) => f.endsWith('.wasm'))) emitted.set(await sha(join(dist, file)), file);
    const shipped = ctx.extracted.get('@gradcam/backend-wasm');
    const wanted = (await filesUnder(shipped)).filter((f) => f.endsWith('.wasm'));
    if (wanted.length === 0) throw new Failure('@gradcam/backend-wasm ships no .wasm file');
    const absent = [];
    for (const file of wanted) if (!emitted.has(await sha(join(shipped, file)))) absent.push(file);
    if (absent.length > 0) throw new Failure(`dist/ lacks ${absent.join(', ')} (it has ${[...emitted.values()].join(', ') || 'no .wasm file'})`, output);
    const wasmFiles = [...emitted.values()];
    // What must never reach a browser bundle: tfjs-node, its installer, a static import of a Node
    // built-in. (Built-ins a package maps to `false` in its own `browser` field, as
    // tfjs-backend-wasm does for fs and path, become Vite's empty stand-in silently; any other
    // built-in import makes Vite warn "has been externalized", which the warning check catches.)
    const forbidden = [/node-pre-gyp/, /tfjs_binding/, /@tensorflow\/tfjs-node\b/, /\bfrom\s*["']node:/, /\bimport\s*\(\s*["']node:/];
    const hits = [];
    for (const file of files.filter((f) => /\.(m?js)$/.test(f))) {
      const text = await readFile(join(dist, file), 'utf8');
      for (const re of forbidden) if (re.test(text)) hits.push(`${file}: ${re}`);
    }
    if (hits.length > 0) throw new Failure(`the bundle carries Node-only code:\n  ${hits.join('\n  ')}`, output);
    const sizes = await Promise.all(files.map(async (f) => ({ f, size: (await stat(join(dist, f))).size })));
    const total = sizes.reduce((sum, x) => sum + x.size, 0);
    return `${files.length} files, ${(total / 1e6).toFixed(1)} MB; ${wasmFiles.join(', ')}`;
  });
  if (!built) return;

  await check('vite', 'the built page explains the image in Chromium (wasm and webgl, all from its own origin)', async () => {
    if (skip('BROWSER')) return 'skipped (GRADCAM_SKIP_BROWSER=1)';
    const { output } = await run('node', ['browser.mjs'], { cwd: project, timeoutMs: 5 * 60_000 });
    return lastLine(output);
  });
}

async function twoCoresGroup(ctx) {
  const project = join(ctx.work, 'two-cores');
  await mkdir(project);
  const core = ctx.packages.find((p) => p.name === '@gradcam/core');
  const otherVersion = core.version.replace(/^(\d+)\.(\d+)\..*$/, (_, major, minor) => `${major}.${Number(minor) + 1}.0`);
  const ok = await check('two-cores', `install (@gradcam/models with @gradcam/core ${otherVersion}, the rest with ${core.version})`, async () => {
    const secondCore = await repackWithVersion(ctx.tarballs.get('@gradcam/core'), otherVersion, ctx.work);
    await copyFixture('two-cores', project);
    await cp(SAMPLE_IMAGE, join(project, 'sample.png'));
    const models = `file:${ctx.tarballs.get('@gradcam/models')}`;
    const manifest = consumerManifest('gradcam-consumer-two-cores', {
      tarballs: ctx.tarballs,
      dependencies: { gradcam: undefined, '@gradcam/core': undefined, '@tensorflow/tfjs-core': ctx.versions.tfjsCore },
      overrides: { '@gradcam/models': { '.': models, '@gradcam/core': `file:${secondCore}` } },
    });
    await writeJson(join(project, 'package.json'), manifest);
    await writeFile(join(project, '.npmrc'), NPMRC);
    await npmInstall(project, { scripts: false, log: () => {} });
    await checkLockfile(project, ctx.tarballs, [secondCore]);
    const nested = join(project, 'node_modules/@gradcam/models/node_modules/@gradcam/core/package.json');
    const top = join(project, 'node_modules/@gradcam/core/package.json');
    if (!existsSync(nested)) throw new Failure(`no second copy of @gradcam/core under @gradcam/models (${relative(project, nested)})`);
    const versions = [(await readJson(top)).version, (await readJson(nested)).version];
    if (versions[0] !== core.version || versions[1] !== otherVersion)
      throw new Failure(`installed core versions ${versions.join(' and ')}, expected ${core.version} and ${otherVersion}`);
    return `node_modules holds @gradcam/core ${versions.join(' and ')}`;
  });
  if (!ok) return;
  await check('two-cores', 'loadModel + explain, registries and isInstance across the two copies', async () => {
    const { output } = await run('node', ['check.mjs'], { cwd: project, env: NODE_ENV });
    return lastLine(output);
  });
}

// ---------------------------------------------------------------------------------------------

async function versionsFromRepo() {
  const root = await readJson(join(ROOT, 'package.json'));
  const web = await readJson(join(ROOT, 'examples/web/package.json'));
  const webgl = await readJson(join(ROOT, 'packages/backend-webgl/package.json'));
  const core = await readJson(join(ROOT, 'packages/core/package.json'));
  return {
    typescript: root.devDependencies.typescript,
    typesNode: root.devDependencies['@types/node'],
    vite: web.devDependencies.vite,
    playwright: webgl.devDependencies['playwright-core'],
    tfjsCore: core.devDependencies['@tensorflow/tfjs-core'],
  };
}

async function main() {
  const started = Date.now();
  const work = await mkdtemp(join(tmpdir(), 'gradcam-consumer-'));
  console.log(`consumer-test: working in ${work}`);
  const ctx = { work, versions: await versionsFromRepo() };
  const prepared = await check('pack', 'pnpm pack every non-private package; check each tarball', async () => {
    ctx.packages = await workspacePackages();
    await checkBuilt(ctx.packages);
    ctx.tarballs = await packAll(ctx.packages, join(work, 'tarballs'));
    const names = new Set(ctx.packages.map((p) => p.name));
    ctx.entries = [];
    ctx.extracted = new Map();
    ctx.manifests = new Map();
    const problems = [];
    for (const { name } of ctx.packages) {
      try {
        const { entries, dir, pkg } = await checkTarball(name, ctx.tarballs.get(name), join(work, 'extract', name), names);
        ctx.entries.push(...entries);
        ctx.extracted.set(name, dir);
        ctx.manifests.set(name, { pkg });
      } catch (error) {
        if (!(error instanceof Failure)) throw error;
        problems.push(error.message);
      }
    }
    if (problems.length > 0) throw new Failure(problems.join('\n'));
    return `${ctx.packages.map((p) => `${p.name}@${p.version}`).join(', ')}; ${ctx.entries.length} entries`;
  });
  if (prepared) {
    const groups = { node: nodeGroup, vite: viteGroup, 'two-cores': twoCoresGroup };
    await Promise.all(only.map((name) => groups[name](ctx)));
  }

  const failed = results.filter((r) => !r.ok);
  for (const { group, name, failure } of failed) {
    console.log(`\n──── consumer-test FAILED: ${group}: ${name}\n${failure.message}`);
    if (failure.output) console.log(`──── output:\n${failure.output.trimEnd()}`);
  }
  const keep = cli.keep || process.env.GRADCAM_CONSUMER_KEEP === '1' || failed.length > 0;
  if (keep) console.log(`consumer-test: the projects are kept in ${work}`);
  else await rm(work, { recursive: true, force: true });
  console.log(`consumer-test: ${results.length - failed.length} passed, ${failed.length} failed in ${seconds(started)}`);
  process.exitCode = failed.length > 0 ? 1 : 0;
}

await main();
