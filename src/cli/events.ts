import type { Command } from 'commander';
import { z } from 'zod';
import { readEnv } from '../config/env';
import { UsageError } from './usage-error';

const KINDS = {
  'spot-warning': {
    detailType: 'EC2 Spot Instance Interruption Warning',
    detail: (id: string) => ({ 'instance-id': id, 'instance-action': 'terminate' }),
  },
  rebalance: { detailType: 'EC2 Instance Rebalance Recommendation', detail: (id: string) => ({ 'instance-id': id }) },
} as const;

const optionsSchema = z.object({
  instance: z.string().regex(/^i-[0-9a-f]{8,17}$/, 'an EC2 instance id such as i-0123456789abcdef0'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1'),
  account: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id'),
  url: z.string().url().optional(),
});

/**
 * `eksflow events spot-warning|rebalance`: sends an EventBridge-shaped event to the ingress, as
 * an EventBridge API destination would — the way to rehearse an interruption end to end.
 */
export function registerEventCommands(program: Command): void {
  const cmd = program
    .command('events')
    .description('Send an EC2 event to the ingress, as EventBridge would (rehearse an interruption)');
  for (const [name, kind] of Object.entries(KINDS)) {
    cmd
      .command(name)
      .description(`POST an "${kind.detailType}" event for an instance to /events/eventbridge`)
      .requiredOption('--instance <id>', 'EC2 instance id')
      .requiredOption('--region <region>', 'the instance region')
      .requiredOption('--account <id>', 'the instance account')
      .option('--url <url>', 'ingress base URL (default http://localhost:$EKSFLOW_INGRESS_PORT)')
      .action(async (raw: Record<string, string>) => {
        const parsed = optionsSchema.safeParse(raw);
        if (!parsed.success) throw new UsageError(z.prettifyError(parsed.error));
        const o = parsed.data;
        const env = readEnv();
        if (!env.EKSFLOW_INGRESS_TOKEN) throw new UsageError('set EKSFLOW_INGRESS_TOKEN to the ingress bearer token');
        const now = new Date();
        const event = {
          version: '0',
          id: `eksflow-cli-${o.instance}-${now.getTime()}`,
          'detail-type': kind.detailType,
          source: 'aws.ec2',
          account: o.account,
          time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          region: o.region,
          resources: [`arn:aws:ec2:${o.region}a:instance/${o.instance}`],
          detail: kind.detail(o.instance),
        };
        const base = o.url ?? `http://localhost:${env.EKSFLOW_INGRESS_PORT}`;
        const res = await fetch(`${base}/events/eventbridge`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${env.EKSFLOW_INGRESS_TOKEN}` },
          body: JSON.stringify(event),
        });
        const body = await res.text();
        if (res.status !== 202) throw new Error(`ingress answered ${res.status}: ${body}`);
        process.stdout.write(`accepted (202): ${body}\n`);
      });
  }
}
