import { appendFileSync, mkdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';

/** One applied mutation of the outside world (AWS, a pager): what, where, and on whose behalf. */
export interface AuditRecord {
  at: string;
  action: string;
  target: string;
  workflowId?: string;
  activityId?: string;
  attempt?: number;
  detail?: Record<string, unknown>;
}

/**
 * Append-only JSON-lines record of every mutation eksflow applies. Appends of one line are
 * atomic on a local file system, so several worker processes can share one file.
 */
export class AuditLog {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  record(entry: Omit<AuditRecord, 'at'> & { at?: string }): void {
    const line = JSON.stringify({ at: entry.at ?? new Date().toISOString(), ...entry });
    appendFileSync(this.path, `${line}\n`);
  }

  read(): AuditRecord[] {
    if (!existsSync(this.path)) return [];
    return readFileSync(this.path, 'utf8')
      .split('\n')
      .filter((l) => l.trim().length > 0)
      .map((l) => JSON.parse(l) as AuditRecord);
  }
}
