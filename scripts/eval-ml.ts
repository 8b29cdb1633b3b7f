/**
 * `npm run eval:ml` — measures the demand forecaster, the spot price predictor and the anomaly
 * detector on real data (see src/ml/eval/cli-args.ts for the arguments). Exit 2 on bad arguments.
 */
import { EVAL_USAGE, EvalArgumentError, parseEvalArgs } from '../src/ml/eval/cli-args';
import { roundForOutput, runEvaluation } from '../src/ml/eval/run-eval';

function main(): number {
  const parsed = parseEvalArgs(process.argv.slice(2));
  if (!parsed.ok) {
    process.stderr.write(`eval-ml: ${parsed.message}\n\n${EVAL_USAGE}\n`);
    return 2;
  }
  if (parsed.args.help) {
    process.stdout.write(`${EVAL_USAGE}\n`);
    return 0;
  }
  const started = Date.now();
  runEvaluation(parsed.args, {
    line: (record) => process.stdout.write(`${JSON.stringify(roundForOutput(record))}\n`),
    note: (text) => process.stderr.write(`${text}\n`),
  });
  process.stderr.write(`evaluation done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return 0;
}

try {
  process.exitCode = main();
} catch (error) {
  process.stderr.write(`eval-ml: ${(error as Error).message}\n`);
  process.exitCode = error instanceof EvalArgumentError ? 2 : 1;
}
