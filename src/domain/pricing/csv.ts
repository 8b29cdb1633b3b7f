/**
 * A small CSV reader for the price files eksflow ships and reads. They have no quoted fields, but a
 * quoted cell is still read correctly so a hand-edited file does not silently shift columns.
 */
export interface CsvTable {
  header: string[];
  rows: string[][];
}

export function parseCsv(text: string): CsvTable {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '' && !line.startsWith('#'));
  if (lines.length === 0) return { header: [], rows: [] };
  const [first, ...rest] = lines.map(splitCsvLine);
  return { header: first.map((h) => h.trim()), rows: rest };
}

function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',').map((cell) => cell.trim());
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cell.trim());
      cell = '';
    } else cell += ch;
  }
  cells.push(cell.trim());
  return cells;
}

/** Index of a named column, or an error that names the file and the columns it does have. */
export function columnIndex(table: CsvTable, name: string, source: string): number {
  const index = table.header.indexOf(name);
  if (index < 0) throw new Error(`${source}: missing column "${name}" (columns: ${table.header.join(', ')})`);
  return index;
}
