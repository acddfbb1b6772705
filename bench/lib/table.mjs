/** The results table (markdown, so it pastes into an issue) and its number formats. */

export function fmtMs(ms) {
  if (ms == null || !Number.isFinite(ms)) return '-';
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

export const fmtNum = (v, d = 1) => (v == null || !Number.isFinite(v) ? '-' : v.toFixed(d));

export function fmtRatio(r) {
  if (r == null || !Number.isFinite(r)) return '-';
  return r >= 10 ? `${r.toFixed(1)}x` : `${r.toFixed(2)}x`;
}

/** rows: arrays of cells (strings); the first row is the header. */
export function markdownTable(rows, align) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  const pad = (s, c) => (align?.[c] === 'r' ? String(s).padStart(widths[c]) : String(s).padEnd(widths[c]));
  const line = (r) => `| ${r.map(pad).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (align?.[c] === 'r' ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join('\n');
}
