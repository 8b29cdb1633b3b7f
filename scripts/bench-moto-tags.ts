/**
 * `npm run bench:moto-tags`: what src/sandbox/moto-server.py's indexed tag lookup changes in the
 * sandbox's AWS emulator. The same region — 2,000 instances, 10 tags each — in the sandbox's moto
 * and in moto's own server (the unpatched baseline); then one unfiltered page of 1,000 instances
 * and one tag-key-filtered `DescribeInstances` against each. Prints one JSON line (milliseconds).
 */
import { DescribeImagesCommand, DescribeInstancesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { SANDBOX_CREDENTIALS } from '../src/aws/clients';
import { startMoto } from '../src/sandbox/processes';

const BATCHES = 20;
const PER_BATCH = 100;
const TAGS = 10;

async function measure(unpatched: boolean): Promise<{ page_1000_ms: number; tag_key_ms: number }> {
  const moto = await startMoto({ unpatched });
  const ec2 = new EC2Client({ endpoint: moto.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
  try {
    const image = (await ec2.send(new DescribeImagesCommand({}))).Images?.[0]?.ImageId ?? 'ami-12c6146b';
    for (let b = 0; b < BATCHES; b++)
      await ec2.send(
        new RunInstancesCommand({
          ImageId: image,
          MinCount: PER_BATCH,
          MaxCount: PER_BATCH,
          InstanceType: 't3.micro',
          TagSpecifications: [
            {
              ResourceType: 'instance',
              Tags: Array.from({ length: TAGS }, (_, k) => ({ Key: `k${k}-${b}`, Value: `v${k}` })),
            },
          ],
        }),
      );
    const time = async (command: DescribeInstancesCommand) => {
      const t = process.hrtime.bigint();
      await ec2.send(command);
      return Math.round(Number(process.hrtime.bigint() - t) / 1e6);
    };
    return {
      page_1000_ms: await time(new DescribeInstancesCommand({ MaxResults: 1000 })),
      tag_key_ms: await time(new DescribeInstancesCommand({ Filters: [{ Name: 'tag-key', Values: ['k1-3'] }] })),
    };
  } finally {
    ec2.destroy();
    await moto.stop();
  }
}

async function main(): Promise<void> {
  const sandbox = await measure(false);
  const baseline = await measure(true);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'moto-tags',
      instances: BATCHES * PER_BATCH,
      tags: BATCHES * PER_BATCH * TAGS,
      sandbox,
      unpatched: baseline,
      tag_key_speedup: Math.round((baseline.tag_key_ms / Math.max(1, sandbox.tag_key_ms)) * 10) / 10,
    })}\n`,
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench:moto-tags failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
