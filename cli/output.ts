/** How results reach the operator: aligned tables for people, `--json` for scripts. */

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '-';
  if (Array.isArray(value)) return value.map(cell).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((column) => cell(column.value(row))));
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...cells.map((line) => line[i]?.length ?? 0)),
  );
  const render = (line: readonly string[]) =>
    line
      .map((text, i) => text.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [render(columns.map((column) => column.header.toUpperCase())), ...cells.map(render)].join('\n');
}

/** One record as `key: value` lines. */
export function record(value: Record<string, unknown>): string {
  const width = Math.max(0, ...Object.keys(value).map((key) => key.length));
  return Object.entries(value)
    .map(([key, v]) => `${`${key}:`.padEnd(width + 1)} ${cell(v)}`)
    .join('\n');
}
