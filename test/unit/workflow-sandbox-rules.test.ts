import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../../src/sandbox/processes';

/**
 * The lint rule the architecture asks for, as a test: workflow code may not import Node
 * builtins, AWS SDKs, the non-workflow Temporal packages, or activity implementations
 * (only their types). The worker's bundler would reject some of these at run time; this
 * names the file and line before anything runs.
 */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const FORBIDDEN = [
  /^node:/,
  /^(fs|path|os|child_process|net|http|https|crypto|dns|stream|zlib|worker_threads)$/,
  /^@aws-sdk\//,
  /^@temporalio\/(activity|client|worker|testing)$/,
  /^@slack\//,
  /^fastify/,
];

describe('workflow code stays deterministic', () => {
  const workflowFiles = files(join(REPO_ROOT, 'workflows'));

  it('finds the workflow sources', () => {
    expect(workflowFiles.length).toBeGreaterThan(0);
  });

  it('imports no I/O modules and only the types of activities', () => {
    const problems: string[] = [];
    for (const f of workflowFiles) {
      readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
        const m = /^\s*import\s+(type\s+)?.*?from\s+['"]([^'"]+)['"]/.exec(line);
        if (!m) return;
        const [, isType, spec] = m;
        const where = `${relative(REPO_ROOT, f)}:${i + 1}`;
        if (!isType && FORBIDDEN.some((re) => re.test(spec!))) problems.push(`${where} imports ${spec}`);
        if (!isType && /(^|\/)activities(\/|$)/.test(spec!)) problems.push(`${where} imports activity code (use \`import type\`)`);
        if (!isType && /\/src\/(aws|sandbox|ingress|cli|config\/(env|load))/.test(spec!)) problems.push(`${where} imports I/O module ${spec}`);
      });
      if (/\bMath\.random\(/.test(readFileSync(f, 'utf8'))) problems.push(`${relative(REPO_ROOT, f)} calls Math.random()`);
    }
    expect(problems).toEqual([]);
  });
});
