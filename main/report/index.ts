/**
 * Reports: a snapshot (or a recording's post-mortem) as CSV, JSON, HTML or PDF. One entry point
 * for the core's exportReport method, the desktop app (which brings Electron's printToPDF as the
 * PDF printer) and `idlewatch report`.
 */
import { ApiFailure } from '../../shared/api/result';
import type { ExportedFile, ReportFormat } from '../../shared/api/schemas';
import { csvChunks } from './csv';
import { htmlChunks } from './html';
import { jsonChunks } from './json';
import type { ReportInput } from './model';
import { findChromiumPrinter, type PdfPrinter } from './pdf';

export { findChromiumPrinter, type PdfPrinter } from './pdf';
export type { ReportInput, ReportScope } from './model';

export type TextFormat = Exclude<ReportFormat, 'pdf'>;

const MIME_TYPES: Record<ReportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
};

/** The report in pieces, in order: for writing 100,000 rows to a file without holding them all. */
export function reportChunks(input: ReportInput, format: TextFormat): Iterable<string> {
  switch (format) {
    case 'csv':
      return csvChunks(input);
    case 'json':
      return jsonChunks(input);
    case 'html':
      return htmlChunks(input);
  }
}

export function renderReport(input: ReportInput, format: TextFormat): string {
  return [...reportChunks(input, format)].join('');
}

const pad = (n: number) => String(n).padStart(2, '0');

/** idlewatch-db1-20261125T164500Z.html: the host (only [A-Za-z0-9._-]) and when the snapshot was taken, in UTC. */
export function reportFileName(input: Pick<ReportInput, 'snapshot'>, format: ReportFormat): string {
  const host = input.snapshot.host.hostname.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+|[.-]+$/g, '').slice(0, 100) || 'host';
  const d = new Date(input.snapshot.takenAt);
  const stamp = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  return `idlewatch-${host}-${stamp}.${format}`;
}

/**
 * The report as a file to save or download. PDF prints the HTML report with `pdf`, or without
 * one with a local Chromium or Chrome; where there is none it fails 'unsupported' with a message
 * naming what to install.
 */
export async function exportReport(input: ReportInput, format: ReportFormat, pdf: PdfPrinter | null): Promise<ExportedFile> {
  const fileName = reportFileName(input, format);
  const mimeType = MIME_TYPES[format];
  if (format !== 'pdf') return { fileName, mimeType, encoding: 'utf8', content: renderReport(input, format) };
  let print = pdf;
  if (print === null) {
    const found = findChromiumPrinter();
    if (!found.ok) throw new ApiFailure('unsupported', found.reason);
    print = found.print;
  }
  const bytes = await print(renderReport(input, 'html'));
  return { fileName, mimeType, encoding: 'base64', content: bytes.toString('base64') };
}
