import type { ClassScore } from './worker-protocol';

/**
 * Fills the class list with one toggle button per class (label, score and a bar for the score),
 * `target` pressed. `onPick` receives the class id of a button clicked.
 */
export function renderClassList(list: HTMLOListElement, top: readonly ClassScore[], target: number, onPick: (index: number) => void): void {
  list.replaceChildren(
    ...top.map((entry) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.testid = 'class-option';
      button.dataset.target = String(entry.index);
      button.setAttribute('aria-pressed', String(entry.index === target));
      const label = document.createElement('span');
      label.className = 'label';
      label.textContent = entry.label;
      const score = document.createElement('span');
      score.className = 'score';
      score.textContent = entry.score.toFixed(3);
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.setProperty('--score', String(Math.max(0, Math.min(1, entry.score))));
      button.append(label, score, bar);
      button.addEventListener('click', () => onPick(entry.index));
      item.append(button);
      return item;
    }),
  );
}
