import type { Command } from 'commander';
import { buildProgram } from '../../../src/cli/main';
import { OPERATIONS } from '../../../src/api/operations';

/** Every leaf command of the CLI, as "group verb" (e.g. "scaling pause"). */
function verbs(cmd: Command, path: string[] = []): string[] {
  if (cmd.commands.length === 0) return [path.join(' ')];
  return cmd.commands.flatMap((c) => verbs(c, [...path, c.name()]));
}

describe('every CLI verb has an API operation', () => {
  const cliVerbs = verbs(buildProgram());

  test('the CLI has the verbs this test expects to walk', () => {
    expect(cliVerbs).toEqual(expect.arrayContaining(['scaling pause', 'scale up', 'schedules list', 'alerts ack']));
  });

  test.each(cliVerbs)('%s', (verb) => {
    const ops = OPERATIONS.filter((o) => o.cli?.includes(verb));
    expect(ops.map((o) => `${o.method} ${o.path}`)).not.toEqual([]);
  });

  test('operations name only verbs the CLI has', () => {
    for (const op of OPERATIONS) for (const v of op.cli ?? []) expect(cliVerbs).toContain(v);
  });

  test('mutations need operator or admin; reads need viewer', () => {
    for (const op of OPERATIONS)
      expect(op.method === 'GET' ? op.role : 'mutating').toBe(op.method === 'GET' ? 'viewer' : 'mutating');
    for (const op of OPERATIONS.filter((o) => o.method === 'POST')) expect(['operator', 'admin']).toContain(op.role);
    for (const op of OPERATIONS.filter((o) => o.path.startsWith('/api/v1/schedules') && o.method === 'POST'))
      expect(op.role).toBe('admin');
  });
});
