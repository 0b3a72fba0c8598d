import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import Database from 'better-sqlite3';
import { Job, type JobContext } from '../../src/index.js';
import { csvRecords } from '../files/csv.js';
import { escapeHtml, markdownToHtml } from '../files/markdown.js';
import { encodePpm, parsePpm, resizeImage } from '../files/ppm-image.js';
import { dataPath } from './example-data.js';

/** The seed's FileProcessingType enum, as a tagged union. */
export type FileProcessingType =
  | { type: 'ImageResize'; width: number; height: number }
  | { type: 'DocumentConvert'; targetFormat: 'html' | 'json' }
  | { type: 'DataImport'; tableName: string };

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * The seed's ProcessFileJob on the `file-processing` queue (30-minute timeout), doing real work:
 * resizes a PPM image, converts Markdown to HTML or CSV to JSON/HTML, or imports CSV rows into a
 * SQLite table. Outputs go next to the input file; imports into `<data dir>/imports.sqlite`.
 */
export class ProcessFileJob extends Job {
  constructor(
    public filePath: string,
    public userId: string,
    public processingType: FileProcessingType,
  ) {
    super();
  }

  override jobName() {
    return 'ProcessFileJob';
  }
  override queueName() {
    return 'file-processing';
  }
  override timeout() {
    return 1800;
  }

  async handle(ctx: JobContext): Promise<void> {
    await this.process(ctx.signal);
  }

  /** Does the work; resolves with the path written (the output file, or the database imported into). */
  async process(signal?: AbortSignal): Promise<string> {
    const p = this.processingType;
    switch (p.type) {
      case 'ImageResize':
        return this.resizeImage(p.width, p.height);
      case 'DocumentConvert':
        return this.convertDocument(p.targetFormat);
      case 'DataImport':
        return this.importData(p.tableName, signal);
      default:
        throw new Error(`Unknown processing type ${JSON.stringify((p as { type: unknown }).type)}`);
    }
  }

  private output(ext: string, suffix = ''): string {
    const base = basename(this.filePath, extname(this.filePath));
    return join(dirname(this.filePath), `${base}${suffix}${ext}`);
  }

  private async resizeImage(width: number, height: number): Promise<string> {
    const image = parsePpm(await readFile(this.filePath));
    const out = this.output('.ppm', `-${width}x${height}`);
    await writeFile(out, encodePpm(resizeImage(image, width, height)));
    return out;
  }

  private async convertDocument(target: 'html' | 'json'): Promise<string> {
    const text = await readFile(this.filePath, 'utf8');
    const ext = extname(this.filePath).toLowerCase();
    let body: string;
    if (ext === '.md' || ext === '.markdown') {
      if (target !== 'html') throw new Error(`Markdown converts to html, not ${target}`);
      body = `<!doctype html>\n<meta charset="utf-8">\n<title>${escapeHtml(basename(this.filePath))}</title>\n${markdownToHtml(text)}\n`;
    } else if (ext === '.csv') {
      const { columns, records } = csvRecords(text);
      if (target === 'json') body = `${JSON.stringify(records, null, 2)}\n`;
      else {
        const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
        const rows = records.map(
          (r) => `<tr>${columns.map((c) => `<td>${escapeHtml(r[c]!)}</td>`).join('')}</tr>`,
        );
        body = `<table>\n<tr>${head}</tr>\n${rows.join('\n')}\n</table>\n`;
      }
    } else {
      throw new Error(`Cannot convert ${ext || 'a file without extension'}: use .md or .csv`);
    }
    const out = this.output(`.${target}`);
    await writeFile(out, body);
    return out;
  }

  /** Upserts the CSV's rows (keyed by its first column) into a table, in one transaction. */
  private async importData(tableName: string, signal?: AbortSignal): Promise<string> {
    // Names come from the payload and the file: only plain identifiers reach the SQL text.
    if (!IDENTIFIER.test(tableName))
      throw new Error(`Table name ${JSON.stringify(tableName)} is not a plain identifier`);
    const { columns, records } = csvRecords(await readFile(this.filePath, 'utf8'));
    if (columns.length === 0) throw new Error(`${this.filePath} has no header row`);
    for (const c of columns)
      if (!IDENTIFIER.test(c)) throw new Error(`Column ${JSON.stringify(c)} is not a plain identifier`);
    signal?.throwIfAborted();
    const path = dataPath('imports.sqlite');
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      const cols = columns.map((c) => `"${c}"`);
      db.exec(
        `CREATE TABLE IF NOT EXISTS "${tableName}" (${cols.map((c, i) => `${c} TEXT${i === 0 ? ' PRIMARY KEY' : ''}`).join(', ')})`,
      );
      const insert = db.prepare(
        `INSERT INTO "${tableName}" (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})
         ON CONFLICT(${cols[0]}) DO UPDATE SET ${cols.map((c) => `${c} = excluded.${c}`).join(', ')}`,
      );
      db.transaction(() => {
        for (const r of records) insert.run(...columns.map((c) => r[c]!));
      })();
    } finally {
      db.close();
    }
    return path;
  }
}
