/** Small display helpers shared by the views. */
const number = new Intl.NumberFormat('en');

export function formatNumber(value: number): string {
  return number.format(value);
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return 'never';
  const date = new Date(iso);
  return `${date.toISOString().slice(0, 10)} ${date.toISOString().slice(11, 19)} UTC`;
}

/** A payload in one line, cut to `max` characters: the full JSON is in the message lookup. */
export function preview(value: unknown, max = 80): string {
  const text = JSON.stringify(value) ?? '';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
