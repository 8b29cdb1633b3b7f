import { DefaultLogger, Runtime } from '@temporalio/worker';

// Keep test output readable: the SDK logs worker state changes at INFO.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // Already installed in this process (runInBand shares the native runtime across files).
}
