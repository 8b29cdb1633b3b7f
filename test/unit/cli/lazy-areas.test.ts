import { Command } from 'commander';
import { AREAS, buildProgram, commandOf } from '../../../src/cli/main';

/** The CLI loads one area module per run; the top-level help comes from AREAS, which must match the modules. */
describe('CLI areas loaded lazily', () => {
  it.each(AREAS.map((a) => [Object.keys(a.commands).join(', '), a] as const))(
    '%s: the module registers exactly the commands and descriptions AREAS names',
    (_name, area) => {
      const program = new Command('eksflow');
      area.load()(program);
      expect(Object.fromEntries(program.commands.map((c) => [c.name(), c.description()]))).toEqual(area.commands);
    },
  );

  it('shows the same top level whichever area is loaded', () => {
    const top = (p: Command) => p.commands.map((c) => [c.name(), c.description()]);
    const all = top(buildProgram());
    expect(top(buildProgram(''))).toEqual(all);
    expect(top(buildProgram('scaling'))).toEqual(all);
    expect(buildProgram('scaling').commands.find((c) => c.name() === 'scaling')?.commands.length).toBeGreaterThan(0);
    expect(buildProgram('').commands.find((c) => c.name() === 'scaling')?.commands).toEqual([]);
  });

  it('finds the command an argument list runs', () => {
    expect(commandOf(['--help'])).toBe('');
    expect(commandOf(['scaling', 'pause', '--cluster', 'x'])).toBe('scaling');
    expect(commandOf(['help', 'alerts'])).toBe('alerts');
  });
});
