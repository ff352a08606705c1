const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
/** Marks and embeddings/overrides/isolates that reorder how a line is displayed. */
const BIDI_CONTROLS = new Set([0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]);

/**
 * Text that came from outside — file names, model ids, error messages quoting them — made safe
 * to print: C0 and C1 control characters (newline, carriage return, ESC of terminal escape
 * sequences, …), DEL and the Unicode bidirectional overrides are shown as escapes (`\n`, `\x1b`,
 * `\u202e`), so a file name cannot forge log lines or drive the terminal.
 */
export function shown(text: string): string {
  let out = '';
  for (const c of text) {
    const code = c.charCodeAt(0);
    const control = code < 0x20 || (code >= 0x7f && code <= 0x9f) || BIDI_CONTROLS.has(code);
    out += !control ? c : (NAMED[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`));
  }
  return out;
}

/** The length of the UTF-8 sequence starting at `i`, or 0 when the bytes there are not valid UTF-8. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i];
  if (b < 0x80) return 1;
  const [n, min] = b >= 0xc2 && b <= 0xdf ? [2, 0x80] : b >= 0xe0 && b <= 0xef ? [3, 0x800] : b >= 0xf0 && b <= 0xf4 ? [4, 0x10000] : [0, 0];
  if (n === 0 || i + n > bytes.length) return 0;
  let code = b & (0xff >> (n + 1));
  for (let k = 1; k < n; k++) {
    if ((bytes[i + k] & 0xc0) !== 0x80) return 0;
    code = (code << 6) | (bytes[i + k] & 0x3f);
  }
  // Overlong forms, surrogates and code points past U+10FFFF are not valid UTF-8.
  return code < min || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff ? 0 : n;
}

/**
 * A file name's bytes as text: valid UTF-8 decoded, every other byte written with `escapeByte`
 * (default `\xHH`, as shown on a terminal; output names use `%HH`). Returns the decoded string
 * and whether every byte was valid.
 */
export function decodeName(bytes: Uint8Array, escapeByte = (b: number) => `\\x${b.toString(16).padStart(2, '0')}`): { text: string; valid: boolean } {
  const decoder = new TextDecoder();
  let text = '';
  let valid = true;
  for (let i = 0; i < bytes.length; ) {
    const n = sequenceLength(bytes, i);
    if (n === 0) {
      text += escapeByte(bytes[i]);
      valid = false;
      i++;
    } else {
      text += decoder.decode(bytes.subarray(i, i + n));
      i += n;
    }
  }
  return { text, valid };
}
