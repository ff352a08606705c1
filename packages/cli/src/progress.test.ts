import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration, type ProgressStream } from './progress.js';

function fakeStream(isTTY: boolean): { stream: ProgressStream; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      text += String(chunk);
      callback();
    },
  }) as Writable & { isTTY: boolean; columns: number };
  stream.isTTY = isTTY;
  stream.columns = 120;
  return { stream, text: () => text };
}

describe('createProgress', () => {
  it('draws a bar on a TTY when there are several inputs, and keeps lines readable', () => {
    const { stream, text } = fakeStream(true);
    const lines: string[] = [];
    const progress = createProgress(2, stream);
    progress.start('a.png');
    progress.line((t) => lines.push(t), 'a.png: done\n');
    progress.done();
    progress.start('b.png');
    progress.done();
    progress.stop();
    progress.stop(); // idempotent
    expect(text()).toMatch(/gradcam [=-]+ 0\/2/);
    expect(text()).toContain('\r\u001b[K'); // the bar line is cleared before a line is printed
    expect(lines).toEqual(['a.png: done\n']);
  });

  it('prints plain lines only when the stream is not a TTY or there is one input', () => {
    for (const [total, isTTY] of [
      [3, false],
      [1, true],
    ] as const) {
      const { stream, text } = fakeStream(isTTY);
      const lines: string[] = [];
      const progress = createProgress(total, stream);
      progress.start('a.png');
      progress.line((t) => lines.push(t), 'a.png: done\n');
      progress.done();
      progress.stop();
      expect(text()).toBe('');
      expect(lines).toEqual(['a.png: done\n']);
    }
  });

  it('off a terminal, a plain progress line at most every interval, with images/s and the time left', () => {
    const { stream, text } = fakeStream(false);
    let clock = 0;
    const progress = createProgress(100, stream, { intervalMs: 5000, now: () => clock });
    for (let i = 0; i < 60; i++) {
      clock += 250; // 4 images/s
      progress.done();
    }
    progress.stop();
    // 15 s of work: lines at 5 s, 10 s and 15 s (20, 40 and 60 images done).
    expect(text()).toBe(
      [
        'gradcam: 20/100 images, 4.0 images/s, about 20 s left',
        'gradcam: 40/100 images, 4.0 images/s, about 15 s left',
        'gradcam: 60/100 images, 4.0 images/s, about 10 s left',
        '',
      ].join('\n'),
    );
  });

  it('--quiet: no bar and no progress lines, on a terminal or not', () => {
    for (const isTTY of [true, false]) {
      const { stream, text } = fakeStream(isTTY);
      let clock = 0;
      const progress = createProgress(50, stream, { quiet: true, intervalMs: 1, now: () => clock });
      for (let i = 0; i < 50; i++) {
        clock += 100;
        progress.done();
      }
      progress.stop();
      expect(text()).toBe('');
    }
  });

  it('the bar shows images/s and the time left', () => {
    const { stream, text } = fakeStream(true);
    let clock = 0;
    const progress = createProgress(10, stream, { now: () => clock });
    clock = 2000;
    progress.done();
    progress.done();
    progress.stop();
    expect(text()).toMatch(/2\/10 1\.0 images\/s, 8 s left/);
  });

  it('formatDuration', () => {
    expect([formatDuration(42), formatDuration(600), formatDuration(7500), formatDuration(Number.POSITIVE_INFINITY)]).toEqual([
      '42 s',
      '10 min',
      '2 h 5 min',
      '—',
    ]);
  });
});
