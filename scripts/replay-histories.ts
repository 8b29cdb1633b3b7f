/**
 * `npx tsx scripts/replay-histories.ts record [dir] [history…]` records histories instead: it runs
 * the scenarios of scripts/record-histories.ts on a dev server and writes them into `dir`.
 *
 * Replays workflow histories (JSON, as `temporal workflow show --output json
 * --no-json-shorthand-payloads` writes them) against the current workflow code:
 * `npx tsx scripts/replay-histories.ts [dir]`. `workflow-ids.json` in the folder maps each file
 * to its original workflow id (child workflow ids are derived from it). Prints one
 * JSON line per history and exits 1 if any replay fails (non-determinism or an error).
 * Runs as its own process: protobufjs, which decodes the histories, does not survive Jest's
 * module sandbox.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker, DefaultLogger, Runtime, bundleWorkflowCode } from '@temporalio/worker';

async function main(): Promise<void> {
  if (process.argv[2] === 'record') {
    const { record } = await import('./record-histories');
    const [dir, ...only] = process.argv.slice(3);
    await record(resolve(dir ?? join(__dirname, '..', 'test', 'fixtures', 'histories')), only);
    process.exit(0);
  }
  const dir = resolve(process.argv[2] ?? join(__dirname, '..', 'test', 'fixtures', 'histories'));
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: new DefaultLogger('ERROR'),
  });
  const idsFile = join(dir, 'workflow-ids.json');
  const ids = (existsSync(idsFile) ? JSON.parse(readFileSync(idsFile, 'utf8')) : {}) as Record<string, string>;
  let failed = 0;
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f !== 'workflow-ids.json')
    .sort()) {
    const history = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    try {
      await Worker.runReplayHistory({ workflowBundle }, history, ids[file] ?? `replay-${file}`);
      process.stdout.write(`${JSON.stringify({ history: file, replay: 'ok' })}\n`);
    } catch (err) {
      failed++;
      process.stdout.write(`${JSON.stringify({ history: file, replay: 'failed', error: (err as Error).message })}\n`);
    }
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(2);
});
