import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { awsClientFactoryFromEnv } from '../aws/clients';
import { readEnv } from '../config/env';
import { loadConfigFile } from '../config/load';
import { RISK_LEVELS, type RiskLevel } from '../domain/pricing/spot-advisor';
import { createAnalysisDeps, runCostAnalysis, runSpotAnalysis, type PlacementAsk } from '../report/analysis';
import { summariseCostRun, summariseSpotRun } from '../report/summary';
import { replaySpotHistoryCsv } from '../report/spot-sources';
import { writeReport } from '../report/write';
import { UsageError } from './usage-error';

interface CommonOptions {
  file?: string;
  out?: string;
  hours?: string;
  open?: boolean;
  json?: boolean;
  replaySpotCsv?: string;
}

interface SpotOptions extends CommonOptions {
  vcpu?: string;
  memory?: string;
  count?: string;
  maxRisk?: string;
  maxShare?: string;
  region?: string;
}

function positive(name: string, value: string | undefined, integer = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    throw new UsageError(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got "${value}"`);
  return n;
}

/** The report is computed here, against the same AWS (or sandbox) the worker uses; no Temporal needed. */
function localDeps(opts: CommonOptions) {
  const env = readEnv();
  const config = loadConfigFile(opts.file ?? env.EKSFLOW_CONFIG);
  const aws = awsClientFactoryFromEnv(env);
  const analysis = createAnalysisDeps({
    aws,
    config,
    now: () => new Date(),
    pricingEndpoint: env.EKSFLOW_PRICING_ENDPOINT,
    spotHistory: opts.replaySpotCsv ? replaySpotHistoryCsv(resolve(opts.replaySpotCsv)) : undefined,
  });
  return { analysis, reportsDir: resolve(opts.out ?? env.EKSFLOW_REPORTS_DIR) };
}

function openInBrowser(path: string): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(opener, [path], { detached: true, stdio: 'ignore' });
  child.on('error', () => process.stderr.write(`eksflow: could not start ${opener}; open ${path} yourself\n`));
  child.unref();
}

function placementFrom(opts: SpotOptions): PlacementAsk[] | undefined {
  const given = [opts.vcpu, opts.memory, opts.count].filter((v) => v !== undefined).length;
  if (given === 0 && !opts.maxRisk && !opts.maxShare) return undefined;
  if (given < 3) throw new UsageError('a placement needs --vcpu, --memory and --count together');
  const maxRisk = (opts.maxRisk ?? 'medium') as RiskLevel;
  if (!RISK_LEVELS.includes(maxRisk))
    throw new UsageError(`--max-risk must be one of ${RISK_LEVELS.join(', ')}, got "${opts.maxRisk}"`);
  const share = positive('max-share', opts.maxShare);
  if (share !== undefined && share > 1) throw new UsageError('--max-share is a fraction between 0 and 1, e.g. 0.4');
  return [
    {
      region: opts.region,
      vcpu: positive('vcpu', opts.vcpu)!,
      memoryGiB: positive('memory', opts.memory)!,
      count: positive('count', opts.count, true)!,
      maxRisk,
      ...(share !== undefined ? { maxPoolShare: share } : {}),
    },
  ];
}

function common(cmd: Command): Command {
  return cmd
    .option('-f, --file <path>', 'config file (default EKSFLOW_CONFIG or eksflow.yaml)')
    .option('-o, --out <dir>', 'reports folder (default EKSFLOW_REPORTS_DIR)')
    .option('--hours <n>', 'spot price history look-back in hours', '168')
    .option('--open', 'open the HTML report in a browser')
    .option('--json', 'print the run summary as JSON')
    .option(
      '--replay-spot-csv <path>',
      'demo: replay a recorded spot price CSV (shifted to now) instead of DescribeSpotPriceHistory',
    );
}

export function registerReportCommands(program: Command): void {
  const report = program
    .command('report')
    .description('Compute a cost or spot report now (HTML + JSON in the reports folder)');

  common(
    report.command('cost').description('Fleet cost under the timetable, savings realised, recommendations'),
  ).action(async (opts: CommonOptions) => {
    const hours = positive('hours', opts.hours, true);
    const { analysis, reportsDir } = localDeps(opts);
    const result = await runCostAnalysis(analysis, { hours });
    const summary = summariseCostRun(result, await writeReport(reportsDir, result));
    process.stdout.write(
      opts.json
        ? `${JSON.stringify(summary, null, 2)}\n`
        : `${summary.headline}\n${summary.priceSource}\nreport: ${summary.htmlPath}\njson:   ${summary.jsonPath}\n`,
    );
    if (opts.open) openInBrowser(summary.htmlPath);
  });

  common(report.command('spot').description('Spot opportunities per instance type × AZ, and a diversified placement'))
    .option('--vcpu <n>', 'placement: minimum vCPU per node')
    .option('--memory <GiB>', 'placement: minimum memory per node')
    .option('--count <n>', 'placement: number of nodes')
    .option('--max-risk <risk>', `placement: highest interruption risk (${RISK_LEVELS.join(', ')})`)
    .option('--max-share <fraction>', 'placement: largest share of nodes in one pool (default 0.4)')
    .option('--region <region>', 'placement: region (default the first region of the fleet)')
    .action(async (opts: SpotOptions) => {
      const hours = positive('hours', opts.hours, true);
      const placements = placementFrom(opts);
      const { analysis, reportsDir } = localDeps(opts);
      const result = await runSpotAnalysis(analysis, { hours, placements });
      const summary = summariseSpotRun(result, await writeReport(reportsDir, result));
      process.stdout.write(
        opts.json
          ? `${JSON.stringify(summary, null, 2)}\n`
          : `${summary.headline}\n${summary.priceSource}\nreport: ${summary.htmlPath}\njson:   ${summary.jsonPath}\n`,
      );
      if (opts.open) openInBrowser(summary.htmlPath);
    });
}
