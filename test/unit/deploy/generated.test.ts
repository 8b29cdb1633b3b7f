import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generatedFiles } from '../../../src/deploy/generate';

const root = resolve(__dirname, '../../..');

describe('generated deployment files', () => {
  it.each(Object.entries(generatedFiles(root)))(
    '%s is what the code generates (npm run gen:deploy)',
    (rel, content) => {
      expect(readFileSync(join(root, rel), 'utf8')).toBe(content);
    },
  );
});
