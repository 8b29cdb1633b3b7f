import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { sha256Hex } from '../../src/api/auth';
import { currentSizesFrom } from '../../src/api/aws-reads';
import { AuditLog } from '../../src/audit';
import { openOrMergeAlert } from '../../src/client/alerts';
import { applyTimetable } from '../../src/client/schedules';
import { overrideNodegroup, pauseCluster, controllerTarget, findCluster } from '../../src/client/scaling';
import { clusterKeyOf, controllerWorkflowId } from '../../src/domain/scaling/types';
import { buildIngressServer } from '../../src/ingress/server';
import { seedCluster } from '../../src/sandbox/seed';
import { alertStatusQuery } from '../../workflows/alerts/messages';
import { eventually } from '../support/eventually';
import { scalingCluster } from '../support/scaling-fixtures';
import {
  connectDevServer,
  startTestWorker,
  testAwsFactory,
  testConfig,
  uniqueName,
  type TestWorker,
} from '../support/stack';

const CHROMIUM = process.env.EKSFLOW_CHROMIUM ?? '/usr/bin/chromium';
const DOCS = resolve(__dirname, '..', '..', 'docs');
const OPERATOR = 'page-operator-token-0123456789';
const VIEWER = 'page-viewer-token-0123456789ab';

/**
 * The status page in headless Chromium with JavaScript disabled (it must work without): sign in
 * with a token, see the sandbox clusters with current (moto) and target sizes, the pause and the
 * override, today's timetable, then acknowledge an open alert by clicking and see its state change.
 * A viewer sees no ack button and cannot post one. Leaves docs/status-page.png for the README.
 */
describe('status page in headless Chromium', () => {
  const aws = testAwsFactory();
  const checkout = scalingCluster('checkout');
  // The operator's override below goes to max 8 over the configured 6: allowed up to maxOverride.
  Object.assign(
    checkout.nodegroups.find((n) => n.name === 'general')!,
    { maxOverride: 10 },
  );
  const payments = scalingCluster('payments', { accountId: '222222222222', region: 'us-east-1' });
  const taskQueue = uniqueName('it-page');
  const prefix = `${uniqueName('it-page')}/`;
  const dir = mkdtempSync(join(tmpdir(), 'eksflow-page-'));
  const alertKey = uniqueName('spot-capacity');
  let config: ReturnType<typeof testConfig>;
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let worker: TestWorker;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: install Debian chromium (scripts/provision.sh --with-chromium)`);
    config = testConfig({
      clusters: [checkout, payments],
      api: {
        tokens: [
          { name: 'oncall-alice', role: 'operator', sha256: sha256Hex(OPERATOR) },
          { name: 'dashboard', role: 'viewer', sha256: sha256Hex(VIEWER) },
        ],
      },
    });
    for (const c of config.clusters) await seedCluster(aws, c);
    stack = await connectDevServer();
    worker = await startTestWorker({
      connection: stack.nativeConnection,
      client: stack.client,
      taskQueue,
      config,
      aws,
    });
    await applyTimetable({ client: stack.client, config, taskQueue, prefix });
    const reportsDir = join(dir, 'reports');
    mkdirSync(reportsDir, { recursive: true });
    writeFileSync(join(reportsDir, 'cost-20260721-100005IST.json'), '{"kind":"cost"}');
    writeFileSync(
      join(reportsDir, 'cost-20260721-100005IST.html'),
      '<!doctype html><title>cost</title><h1>Cost report</h1>',
    );
    app = buildIngressServer({
      client: stack.client,
      taskQueue,
      token: 'page-ingress-token-0123456789',
      config,
      api: {
        reportsDir,
        temporalUiUrl: 'http://localhost:8233',
        audit: new AuditLog(join(dir, 'audit.jsonl')),
        schedulePrefix: prefix,
        currentSizes: currentSizesFrom(aws, config.clusters),
      },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    const t = (name: string) => controllerTarget(config, taskQueue, findCluster(config, name));
    await pauseCluster(stack.client, t(payments.name), {
      reason: 'DB migration',
      by: 'oncall-bob',
      untilMs: Date.now() + 3 * 3_600_000,
    });
    await overrideNodegroup(stack.client, t(checkout.name), {
      nodegroup: 'general',
      min: 3,
      desired: 5,
      max: 8,
      untilMs: Date.now() + 2 * 3_600_000,
      reason: 'sale traffic',
      by: 'oncall-alice',
    });
    await openOrMergeAlert(
      stack.client,
      { taskQueue, config, uiBaseUrl: 'http://localhost:8233' },
      {
        severity: 'warning',
        type: 'spot_capacity',
        dedupKey: alertKey,
        summary: `Spot capacity low in ${checkout.name}/workers`,
        cluster: checkout.name,
      },
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    if (stack) {
      for await (const s of stack.client.schedule.list())
        if (s.scheduleId.startsWith(prefix))
          await stack.client.schedule
            .getHandle(s.scheduleId)
            .delete()
            .catch(() => undefined);
      for (const c of config.clusters)
        await stack.client.workflow
          .getHandle(controllerWorkflowId(clusterKeyOf(c)))
          .terminate('test done')
          .catch(() => undefined);
      await stack.client.workflow
        .getHandle(`alert/${alertKey}`)
        .terminate('test done')
        .catch(() => undefined);
    }
    await worker?.stop();
    await stack?.close();
  });

  async function signIn(token: string): Promise<Page> {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(base);
    await page.fill('input[name=token]', token);
    await page.click('button[type=submit]');
    await page.waitForSelector('h1:has-text("fleet status")');
    return page;
  }

  const alertRow = (page: Page) => page.locator(`tr[data-alert="alert/${alertKey}"]`);

  test('an operator sees the fleet and acknowledges an alert by clicking', async () => {
    const page = await signIn(OPERATOR);
    await expect(page.locator(`h3[data-cluster="${checkout.name}"]`).textContent()).resolves.toContain(
      'running on the timetable',
    );
    await expect(page.locator(`h3[data-cluster="${payments.name}"]`).textContent()).resolves.toMatch(
      /PAUSED by oncall-bob: DB migration until/,
    );
    const generalRow = page.locator(`h3[data-cluster="${checkout.name}"] + table tr`, { hasText: 'general' });
    const cells = await generalRow.locator('td').allTextContents();
    expect(cells[0]).toBe('general');
    expect(cells[2]).toMatch(/^\d+\/\d+\/\d+$/); // current size, read from moto
    expect(cells[3]).toBe('3/5/8');
    expect(cells[4]).toMatch(/override by oncall-alice until .* IST: sale traffic/);
    expect(await page.locator('h2', { hasText: "Today's timetable" }).count()).toBe(1);
    expect(await page.locator('table tr', { hasText: 'scaleUpFleet' }).count()).toBeGreaterThan(0);
    expect(await page.locator('a[href="/reports/cost-20260721-100005IST"]').count()).toBe(1);
    expect(await page.locator('meta[http-equiv=refresh]').getAttribute('content')).toBe('30');

    await eventually(
      async () => {
        await page.reload();
        return alertRow(page).count();
      },
      (n) => n === 1,
      'the alert is on the page',
    );
    expect(await alertRow(page).locator('.alert-status').textContent()).not.toBe('acknowledged');
    mkdirSync(DOCS, { recursive: true });
    await page.screenshot({ path: join(DOCS, 'status-page.png'), fullPage: true });

    await alertRow(page).locator('button', { hasText: 'Acknowledge' }).click();
    await page.waitForSelector('#done');
    expect(await page.locator('#done').textContent()).toBe(`acknowledged alert/${alertKey}`);
    const state = await eventually(
      () => stack.client.workflow.getHandle(`alert/${alertKey}`).query(alertStatusQuery),
      (s) => s.status === 'acknowledged',
      'the alert workflow is acknowledged',
    );
    expect(state.acknowledged?.by).toBe('oncall-alice');
    await eventually(
      async () => {
        await page.reload();
        return alertRow(page).locator('.alert-status').textContent();
      },
      (s) => s === 'acknowledged',
      'the page shows the alert acknowledged',
    );
    expect(await alertRow(page).locator('button').count()).toBe(0);
    await page.context().close();
  });

  test('a viewer sees no ack buttons and cannot post one; no token shows only the sign-in form', async () => {
    const page = await signIn(VIEWER);
    expect(await page.locator('form[action="/ui/alerts/ack"]').count()).toBe(0);
    const res = await page.request.post(`${base}/ui/alerts/ack`, { form: { id: `alert/${alertKey}` } });
    expect(res.status()).toBe(403);
    await page.context().close();
    const anon = await fetch(base);
    const html = await anon.text();
    expect(html).toContain('name="token"');
    expect(html).not.toContain(checkout.name);
    const post = await fetch(`${base}/ui/alerts/ack`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `id=alert/${alertKey}`,
    });
    expect(post.status).toBe(401);
  });
});
