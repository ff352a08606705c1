/** One image of a step, with what it shows. */
export interface Figure {
  /** File name relative to the report (the output folder). */
  readonly file: string;
  readonly caption: string;
  /** Display width in CSS pixels; default the image's own. */
  readonly displayWidth?: number;
  /** Enlarge without smoothing (a 7×7 heatmap shown as its cells). */
  readonly pixelated?: boolean;
}

/** One tutorial step as the report shows it. */
export interface StepSection {
  readonly number: number;
  readonly title: string;
  /** What the step printed. */
  readonly text: string[];
  readonly figures: Figure[];
  /** Figures side by side in one row (step 12) instead of a wrapping gallery. */
  readonly sideBySide?: boolean;
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The HTML report: one section per step, its printed lines, then each image with its caption (relative `src`). */
export function renderReport(title: string, intro: string[], steps: readonly StepSection[]): string {
  const sections = steps.map((step) => {
    const figures = step.figures
      .map((f) => {
        const css = [f.displayWidth ? `width:${f.displayWidth}px` : '', f.pixelated ? 'image-rendering:pixelated' : ''].filter(Boolean).join(';');
        const style = css ? ` style="${css}"` : '';
        return `      <figure><img src="${encodeURI(f.file)}" alt="${escapeHtml(f.caption)}"${style}><figcaption>${escapeHtml(f.caption)}<br><code>${escapeHtml(f.file)}</code></figcaption></figure>`;
      })
      .join('\n');
    return [
      `  <section id="step-${step.number}">`,
      `    <h2>Step ${step.number}: ${escapeHtml(step.title)}</h2>`,
      step.text.length > 0 ? `    <pre>${escapeHtml(step.text.join('\n'))}</pre>` : '',
      step.figures.length > 0 ? `    <div class="${step.sideBySide ? 'row' : 'gallery'}">\n${figures}\n    </div>` : '',
      '  </section>',
    ]
      .filter(Boolean)
      .join('\n');
  });
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${escapeHtml(title)}</title>
  <style>
    body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; }
    pre { background: #f4f4f4; padding: .75rem; overflow-x: auto; font-size: .85rem; }
    .gallery, .row { display: flex; gap: 1rem; align-items: flex-start; }
    .gallery { flex-wrap: wrap; }
    figure { margin: 0; max-width: 320px; }
    figcaption { font-size: .85rem; color: #333; }
  </style>
</head>
<body>
  <h1>${escapeHtml(title)}</h1>
${intro.map((p) => `  <p>${escapeHtml(p)}</p>`).join('\n')}
${sections.join('\n')}
</body>
</html>
`;
}
