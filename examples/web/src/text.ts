/** Megabytes with one decimal ("29.9 MB"). */
export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** A model title without its vendor prefix and parenthesised details: "MobileNetV2-1.4". */
export function shortTitle(title: string): string {
  return title.replace(/^NSFWJS\s+/, '').replace(/\s*\(.*\)\s*$/, '') || title;
}

/** Milliseconds as the status line shows them: "840 ms", "12.3 s". */
export function duration(ms: number): string {
  return ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** `text` cut to at most `max` characters by an ellipsis in the middle (layer paths differ at both ends). */
export function middleEllipsis(text: string, max: number): string {
  if (text.length <= max) return text;
  const tail = Math.ceil((max - 1) * 0.6);
  return `${text.slice(0, max - 1 - tail)}…${text.slice(text.length - tail)}`;
}
