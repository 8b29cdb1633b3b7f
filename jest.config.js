/**
 * Three Jest projects, one per kind of test (CONTRIBUTING.md):
 *   unit         pure logic: no server, no child process — `npm run test:unit` runs in seconds
 *   workflows    workflow code on the time-skipping test server (one per file), activities on moto
 *   integration  the Temporal dev server, moto, worker processes and real local servers
 * A project's global setup runs only when one of its tests is selected, so `jest --selectProjects unit`
 * (or a single unit file) starts nothing. TypeScript runs through ts-jest in transpile-only mode;
 * `tsc --noEmit` (part of `npm test`) does the type checking once.
 */
const shared = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: { isolatedModules: true }, diagnostics: false }] },
};

module.exports = {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      roots: ['<rootDir>/test/unit'],
    },
    {
      ...shared,
      displayName: 'workflows',
      roots: ['<rootDir>/test/workflows'],
      globalSetup: '<rootDir>/test/support/global-setup-workflows.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/setup-each-file.ts'],
    },
    {
      ...shared,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/setup-each-file.ts'],
    },
  ],
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testTimeout: 120000,
  verbose: false,
};
