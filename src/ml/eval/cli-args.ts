/**
 * Command-line arguments of the ML evaluation, validated with zod. Paths must exist; unknown
 * flags are errors (a typo must not silently evaluate the default data instead).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';

export const EVAL_USAGE = `usage: eval-ml [--nab-dir DIR] [--nab-labels FILE] [--nab-reference DIR] [--spot-csv FILE]
               [--synthetic] [--no-peers] [--fresh-peers] [--peers-minutes N] [--only forecaster,price,anomaly]

With no data argument, evaluates everything on the shared data (../shared/data, or
EKSFLOW_SHARED_DATA) plus the synthetic seasonal series. With --nab-dir and/or --spot-csv,
evaluates only the data given (add --synthetic for the synthetic series too).

  --nab-dir DIR         folder of NAB-format series (timestamp,value CSVs); forecaster + anomaly
  --nab-labels FILE     NAB windows JSON (default: DIR/labels_windows.json or DIR/combined_windows.json);
                        without it the anomaly detector is not scored
  --nab-reference DIR   NAB reference results to compare with (default: DIR/../reference-results if present)
  --spot-csv FILE       spot price history CSV (timestamp,availability_zone,instance_type,spot_price_usd,…)
  --synthetic           also evaluate the forecaster on the synthetic seasonal series
  --no-peers            skip the statsforecast peers (AutoETS, AutoTheta, MSTL)
  --fresh-peers         refit the peers even if forecasts for the same data are cached
  --peers-minutes N     fitting budget for the peers (default 30): fits not cached when it runs out are
                        skipped and reported; each finished (model, series) is cached, a rerun continues
  --only LIST           comma-separated subset of: forecaster, price, anomaly

Output: one JSON line per series and model on stdout (overall lines last); a scoreboard table on stderr.`;

const MODELS = ['forecaster', 'price', 'anomaly'] as const;
export type EvalModel = (typeof MODELS)[number];

const existingDir = (flag: string) =>
  z
    .string()
    .min(1, `${flag} needs a value`)
    .transform((p) => path.resolve(p))
    .refine((p) => fs.existsSync(p) && fs.statSync(p).isDirectory(), { message: `${flag}: not a directory` });

const existingFile = (flag: string) =>
  z
    .string()
    .min(1, `${flag} needs a value`)
    .transform((p) => path.resolve(p))
    .refine((p) => fs.existsSync(p) && fs.statSync(p).isFile(), { message: `${flag}: no such file` });

const argsSchema = z
  .object({
    'nab-dir': existingDir('--nab-dir').optional(),
    'nab-labels': existingFile('--nab-labels').optional(),
    'nab-reference': existingDir('--nab-reference').optional(),
    'spot-csv': existingFile('--spot-csv').optional(),
    synthetic: z.literal(true).optional(),
    'no-peers': z.literal(true).optional(),
    'fresh-peers': z.literal(true).optional(),
    'peers-minutes': z.coerce.number().min(0).max(1440).optional(),
    only: z
      .string()
      .transform((s) =>
        s
          .split(',')
          .map((m) => m.trim())
          .filter((m) => m !== ''),
      )
      .pipe(z.array(z.enum(MODELS, { message: `--only takes ${MODELS.join(', ')}` })).min(1))
      .optional(),
    help: z.literal(true).optional(),
  })
  .strict();

export interface EvalArgs {
  help: boolean;
  nabDir?: string;
  nabLabels?: string;
  nabReference?: string;
  spotCsv?: string;
  synthetic: boolean;
  /** run the statsforecast peers (default true) */
  peers: boolean;
  /** refit the peers even when cached forecasts for the same request exist */
  freshPeers: boolean;
  /** minutes the peers may spend fitting what is not cached */
  peersMinutes: number;
  models: EvalModel[];
  /** true when no data argument was given: the shared data and the synthetic set are used */
  defaults: boolean;
}

const BOOLEAN_FLAGS = new Set(['synthetic', 'help', 'no-peers', 'fresh-peers']);

/** Tokenises `--key value`, `--key=value` and boolean flags into a record for the schema. */
function tokenise(argv: string[]): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h') {
      out.help = true;
      continue;
    }
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}"`);
    const [key, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (key in out) throw new Error(`--${key} given twice`);
    if (BOOLEAN_FLAGS.has(key)) {
      if (inline !== undefined) throw new Error(`--${key} takes no value`);
      out[key] = true;
    } else if (inline !== undefined) {
      out[key] = inline;
    } else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) {
      out[key] = argv[++i];
    } else {
      out[key] = '';
    }
  }
  return out;
}

/** A data argument that parsed but cannot be used (e.g. a folder without series): exit 2 like bad syntax. */
export class EvalArgumentError extends Error {}

export type ParseResult = { ok: true; args: EvalArgs } | { ok: false; message: string };

export function parseEvalArgs(argv: string[]): ParseResult {
  let raw: Record<string, string | true>;
  try {
    raw = tokenise(argv);
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  const parsed = argsSchema.safeParse(raw);
  if (!parsed.success) {
    const message = parsed.error.issues
      .map((issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown option ${issue.keys.map((k) => `--${k}`).join(', ')}`
          : issue.message.startsWith('--')
            ? issue.message
            : `${issue.path.length ? `--${String(issue.path[0])}: ` : ''}${issue.message}`,
      )
      .join('; ');
    return { ok: false, message };
  }
  const a = parsed.data;
  const defaults = a['nab-dir'] === undefined && a['spot-csv'] === undefined;
  if ((a['nab-labels'] || a['nab-reference']) && a['nab-dir'] === undefined) {
    return { ok: false, message: '--nab-labels and --nab-reference need --nab-dir' };
  }
  return {
    ok: true,
    args: {
      help: a.help === true,
      nabDir: a['nab-dir'],
      nabLabels: a['nab-labels'],
      nabReference: a['nab-reference'],
      spotCsv: a['spot-csv'],
      synthetic: a.synthetic === true || defaults,
      peers: a['no-peers'] !== true,
      freshPeers: a['fresh-peers'] === true,
      peersMinutes: a['peers-minutes'] ?? 30,
      models: a.only ?? [...MODELS],
      defaults,
    },
  };
}
