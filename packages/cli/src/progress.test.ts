import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress, type ProgressStream } from './progress.js';

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
});
