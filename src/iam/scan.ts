import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Finds every AWS SDK command the production code can send: the value imports of `*Command`
 * (and `paginate*`) from `@aws-sdk/client-*`. Type-only imports send nothing. src/sandbox is
 * development-only (not in the image, never holds production credentials), so it is skipped.
 */

export const SCAN_ROOTS = ['src', 'activities', 'workflows', 'schedules', 'bin'];
export const SCAN_EXCLUDES = ['src/sandbox'];

export interface CommandUse {
  pkg: string;
  command: string;
  file: string;
}

const IMPORT = /import\s+(type\s+)?\{([^}]*)\}\s*from\s*['"](@aws-sdk\/client-[\w-]+)['"]/g;

/** The command uses of one source text. */
export function commandsInSource(text: string, file: string): CommandUse[] {
  const out: CommandUse[] = [];
  for (const m of text.matchAll(IMPORT)) {
    if (m[1]) continue;
    for (const raw of m[2].split(',')) {
      const spec = raw.replace(/\/\/.*$|\/\*.*?\*\//gm, '').trim();
      if (!spec || spec.startsWith('type ')) continue;
      const name = spec.split(/\s+as\s+/)[0].trim();
      if (/^\w+Command$/.test(name) || /^paginate\w+$/.test(name)) out.push({ pkg: m[3], command: name, file });
    }
  }
  return out;
}

/** Every command use under the scan roots of the repository at `root`. */
export function scanCommands(root: string): CommandUse[] {
  const out: CommandUse[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      const rel = relative(root, path).split('\\').join('/');
      if (SCAN_EXCLUDES.includes(rel) || entry === 'node_modules') continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|js|mjs|cjs)$/.test(entry) && !entry.endsWith('.d.ts')) {
        out.push(...commandsInSource(readFileSync(path, 'utf8'), rel));
      }
    }
  };
  for (const r of SCAN_ROOTS) {
    try {
      if (statSync(join(root, r)).isDirectory()) walk(join(root, r));
    } catch {
      // a scan root a checkout does not have holds no commands
    }
  }
  return out.sort((a, b) => a.file.localeCompare(b.file) || a.command.localeCompare(b.command));
}
