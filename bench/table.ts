import { COMPARISONS, SYSTEMS } from './systems.js';

export interface Cell {
  /** The median of the runs. */
  value: number;
  runs: number[];
  partial?: boolean;
}

export interface Row {
  key: string;
  label: string;
  unit: 'jobs/s' | 'ms' | 'µs' | '×';
  /** Which way is better; ratios are always put so that above 1 means jobwright is better. */
  better: 'higher' | 'lower';
  cells: Map<string, Cell>;
}

export function formatValue(value: number, unit: Row['unit']): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (unit === 'µs') return value < 100 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US');
  if (unit === 'ms') return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
  if (unit === '×') return `${value.toFixed(2)}×`;
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(1);
}

function formatCell(cell: Cell | undefined, unit: Row['unit']): string {
  if (!cell) return '–';
  return `${formatValue(cell.value, unit)}${cell.partial ? '\\*' : ''}`;
}

/** jobwright's figure against the peer's, put so that above 1 means jobwright is better. */
export function ratioOf(row: Row, ours: string, peer: string): number | undefined {
  const a = row.cells.get(ours)?.value;
  const b = row.cells.get(peer)?.value;
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || a <= 0 || b <= 0)
    return undefined;
  if (row.unit === '×') return undefined;
  return row.better === 'higher' ? a / b : b / a;
}

const SHORT: Record<string, string> = {
  postgres: 'PG',
  redis: 'Redis',
  graphile: 'graphile',
  pgboss: 'pg-boss',
  bullmq: 'BullMQ',
};

/** A markdown table: one row per figure, one column per system, a ratio column after each peer. */
export function markdownTable(rows: Row[], present: string[]): string {
  const columns: Array<{ title: string; cell: (row: Row) => string }> = [];
  for (const system of SYSTEMS) {
    if (!present.includes(system.id)) continue;
    columns.push({ title: system.label, cell: (row) => formatCell(row.cells.get(system.id), row.unit) });
    for (const [ours, peer] of COMPARISONS) {
      if (peer !== system.id || !present.includes(ours)) continue;
      columns.push({
        title: `${SHORT[ours]} vs ${SHORT[peer]}`,
        cell: (row) => {
          const r = ratioOf(row, ours, peer);
          return r === undefined ? '' : `**${r.toFixed(2)}×**`;
        },
      });
    }
  }
  const header = `| figure | ${columns.map((c) => c.title).join(' | ')} |`;
  const rule = `|---|${columns.map(() => '---:').join('|')}|`;
  const body = rows.map(
    (row) => `| ${row.label} (${row.unit}) | ${columns.map((c) => c.cell(row)).join(' | ')} |`,
  );
  return [header, rule, ...body].join('\n');
}
