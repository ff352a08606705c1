/** The element with `id`, or an error naming it (the page's HTML and its script disagree). */
export function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no #${id}.`);
  return found as T;
}

/** Replaces a select's options and selects `selected`. */
export function fillSelect(select: HTMLSelectElement, options: readonly { value: string; text: string }[], selected: string): void {
  select.replaceChildren(
    ...options.map(({ value, text }) => {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = text;
      return option;
    }),
  );
  select.value = selected;
}
