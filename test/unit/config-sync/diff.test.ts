import { configParameterName, lineDiff, renderDiff } from '../../../src/domain/config-sync/diff';

describe('config diff', () => {
  it('parameter name per environment', () => {
    expect(configParameterName('prod')).toBe('/eksflow/prod/config');
  });

  it('line diff keeps common lines and marks removals and additions in order', () => {
    expect(lineDiff('a\nb\nc\n', 'a\nB\nc\nd\n')).toEqual([
      { op: ' ', text: 'a' },
      { op: '-', text: 'b' },
      { op: '+', text: 'B' },
      { op: ' ', text: 'c' },
      { op: '+', text: 'd' },
    ]);
    expect(lineDiff('', 'x')).toEqual([
      { op: '-', text: '' },
      { op: '+', text: 'x' },
    ]);
  });

  it('renders hunks with context and an ellipsis between them; empty when equal', () => {
    const a = Array.from({ length: 12 }, (_, i) => `l${i}`).join('\n');
    const b = a.replace('l1', 'L1').replace('l10', 'L10');
    expect(renderDiff(lineDiff(a, b), 1)).toBe(' l0\n-l1\n+L1\n l2\n…\n l9\n-l10\n+L10\n l11\n');
    expect(renderDiff(lineDiff(a, a))).toBe('');
  });
});
