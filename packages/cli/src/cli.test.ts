import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { runBin, sample } from './test-support.js';

describe('gradcam usage (built binary)', () => {
  it.each(['explain', 'evaluate', 'layers', 'models', 'compare'])('`%s --help` describes the command with examples and exits 0', async (command) => {
    const { code, stdout } = await runBin([command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`Usage: gradcam ${command}`));
    expect(stdout).toMatch(/Examples:\n {2}gradcam /);
  });

  it('`--help` lists every command', async () => {
    const { code, stdout } = await runBin(['--help']);
    expect(code).toBe(0);
    for (const command of ['explain', 'evaluate', 'layers', 'models', 'compare', 'queue', 'worker']) expect(stdout).toMatch(new RegExp(`\\n {2}${command} `));
  });

  it('`--version` prints the version of @gradcam/cli', async () => {
    const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    for (const flag of ['--version', '-V']) {
      const { code, stdout } = await runBin([flag]);
      expect(code).toBe(0);
      expect(stdout.trim()).toBe(version);
    }
  });

  const cases: [string, string[], RegExp][] = [
    ['no image', ['explain'], /missing required argument 'images'/],
    ['an unknown option', ['explain', 'x.png', '--frobnicate'], /unknown option '--frobnicate'/],
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['a --top that is not a positive integer', ['explain', 'x.png', '--top', '0'], /--top must be an integer ≥ 1, got '0'/],
    ['a --target that is not a class id', ['explain', 'x.png', '--target', 'cat'], /--target must be an integer ≥ 0, got 'cat'/],
    ['--top with --target', ['explain', 'x.png', '--top', '2', '--target', '1'], /--top and --target cannot be combined/],
    ['an unknown colormap', ['explain', 'x.png', '--colormap', 'rainbow'], /argument 'rainbow' is invalid\. Allowed choices are viridis, .*cividis/],
    ['an unknown resampling filter', ['explain', 'x.png', '--resample', 'sinc'], /argument 'sinc' is invalid\. Allowed choices are nearest, box, .*lanczos/],
    [
      'an unknown method',
      ['explain', 'x.png', '--method', 'gradcam+++'],
      /argument 'gradcam\+\+\+' is invalid\. Allowed choices are gradcam, gradcam\+\+, hirescam/,
    ],
    ['an unknown backend', ['explain', 'x.png', '--backend', 'gpu'], /argument 'gpu' is invalid\. Allowed choices are auto, tensorflow, wasm, cpu/],
    ['an --alpha-limit outside [0, 1]', ['explain', 'x.png', '--alpha-limit', '1.5'], /--alpha-limit must be a number from 0 to 1, or 'none'/],
    ['an unknown model', ['explain', 'x.png', '--model', 'resnet', '--backend', 'wasm'], /Unknown model 'resnet'.*nsfw_mobilenet_v2/],
    ['an unknown layer', ['explain', sample('chelsea.png'), '--layer', 'out_rel', '--backend', 'wasm'], /No layer named 'out_rel'.*'out_relu'/],
    [
      'a layer without a spatial output',
      ['explain', sample('chelsea.png'), '--layer', '-1', '--backend', 'wasm'],
      /Grad-CAM needs a \[batch, height, width, channels\] output/,
    ],
    ['compare with one model', ['compare', 'x.png', '--model', 'nsfw_mobilenet_v2'], /compare needs at least two --model options/],
    ['layers of an unknown model', ['layers', '--model', 'resnet', '--backend', 'wasm'], /Unknown model 'resnet'/],
  ];
  it.each(cases)(
    'exits 2 on %s, saying what was wrong',
    async (_name, args, message) => {
      const { code, stderr } = await runBin(args);
      expect(stderr).toMatch(message);
      expect(code).toBe(2);
    },
    60_000,
  );
});
