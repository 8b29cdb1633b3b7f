import { shippedPriceTable } from '../src/data/pricing';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { ActivityDeps } from './deps';
import { heartbeatIfActivity, recordMutation, withLivenessHeartbeat } from './audit';
import { ebsGateway } from './gateways/ebs';
import { ec2NetworkGateway } from './gateways/ec2-network';
import { ec2TagsGateway } from './gateways/ec2-tags';
import { instancesGateway } from './gateways/instances';
import { asgGateway } from './gateways/asg';
import { createEksActivities } from './eks';
import { kubernetesGateways } from './kubernetes';
import { ValidationError } from '../src/errors';
import type { AwsTarget } from '../src/config/clusters';
import { clusterKeyOf } from '../src/domain/scaling/types';
import { retentionHorizonDays } from '../src/domain/backups/retention';
import { BACKUP_OF_TAG, CLEANUP_AFTER_TAG } from '../src/domain/backups/tags';
import { FALLBACK_TAG, REPLACEMENT_TAG } from '../src/domain/interruption/capacity';
import { LAUNCH_BATCH_TAG, launchKindOf, replacedBy } from '../src/domain/interruption/launch-batch';
import {
  CLEANUP_KIND_NAMES,
  assess,
  type Assessment,
  type CandidateRules,
  type CleanupKind,
  type InstanceFact,
  type LaunchTemplateFact,
  type ResourceFact,
} from '../src/domain/cleanup/candidates';
import {
  deletable,
  planCleanup,
  totals,
  type CleanupAction,
  type CleanupPlan,
  type CleanupTotals,
  type PlanSettings,
} from '../src/domain/cleanup/plan';
import { PRICE_REGION, PRICE_SOURCE } from '../src/domain/cleanup/prices';
import { joinedCluster, type NodeRef } from '../src/domain/cleanup/joined';
import type { PriceTable } from '../src/domain/pricing/on-demand-table';
import { esc as escapeHtml } from '../src/report/escape';

/** One account/region to clean, with the configured clusters in it and the kinds looked at there. */
export interface CleanupTargetSpec {
  key: string;
  target: AwsTarget;
  clusters: string[];
  kinds: CleanupKind[];
}

export interface TargetPlan {
  key: string;
  plan: CleanupPlan;
  /** Resources looked at per kind. */
  scanned: Partial<Record<CleanupKind, number>>;
}

export interface ApplyResult {
  tagged: string[];
  untagged: string[];
  deleted: string[];
  absent: string[];
  refused: { id: string; reason: string }[];
}

export interface CleanupReport {
  at: string;
  dryRun: boolean;
  jsonPath: string;
  htmlPath: string;
  totals: CleanupTotals;
  priceRegion: string;
  priceSource: string;
}

const targetSchema = z
  .object({ accountId: z.string().regex(/^\d{12}$/), region: z.string().min(1), roleArn: z.string().optional() })
  .strict();
const kindSchema = z.enum(CLEANUP_KIND_NAMES);
const specSchema = z
  .object({ key: z.string().min(1), target: targetSchema, clusters: z.array(z.string()), kinds: z.array(kindSchema) })
  .strict();
const actionSchema = z
  .object({
    type: z.enum(['report', 'tag', 'wait', 'delete', 'untag']),
    kind: kindSchema,
    id: z.string().min(1),
    reason: z.string(),
    monthlyUsd: z.number(),
    cleanupAfter: z.string().optional(),
  })
  .strict();
const iso = z.iso.datetime({ offset: true });

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const res = schema.safeParse(input);
  if (!res.success) throw new ValidationError(`${what}: ${z.prettifyError(res.error)}`);
  return res.data;
}

const isNotFound = (err: unknown) =>
  /NotFound/.test((err as { name?: string }).name ?? '') || /NotFound/.test((err as { type?: string }).type ?? '');

export function createCleanupActivities(deps: ActivityDeps) {
  const audit = (action: string, target: string, detail: Record<string, unknown>) =>
    recordMutation(deps.audit, action, target, detail);
  const eks = createEksActivities(deps);
  let prices: PriceTable | undefined;
  const usdPerHour = (region: string, type: string) => {
    const table = (prices ??= shippedPriceTable());
    return table.price(region, type)?.usdPerHour ?? table.price('us-east-1', type)?.usdPerHour;
  };

  function rules(): CandidateRules {
    const c = deps.config.cleanup;
    const b = deps.config.backups;
    return {
      volumeMinAgeDays: c.volumeMinAgeDays,
      includePvcVolumes: c.includePvcVolumes,
      instanceJoinGraceMinutes: c.instanceJoinGraceMinutes,
      snapshotHorizonDays: { [b.policy]: retentionHorizonDays(b.keep) },
      defaultHorizonDays: retentionHorizonDays(c.unknownPolicyKeep ?? b.keep),
    };
  }
  function settings(): PlanSettings {
    const c = deps.config.cleanup;
    return {
      modes: c.mode as PlanSettings['modes'],
      graceHours: c.graceHours,
      networkInterfaceMinAgeHours: c.networkInterfaceMinAgeHours,
    };
  }

  /** The accounts/regions of the configured clusters (and the DR region, for snapshots only). */
  async function cleanupTargets(input: { clusters?: string[] } = {}): Promise<CleanupTargetSpec[]> {
    const i = parse(z.object({ clusters: z.array(z.string().min(1)).optional() }).strict(), input, 'cleanupTargets');
    const wanted = i.clusters?.length ? new Set(i.clusters) : undefined;
    const specs = new Map<string, CleanupTargetSpec>();
    for (const c of deps.config.clusters.filter((x) => !wanted || wanted.has(x.name) || wanted.has(clusterKeyOf(x)))) {
      const target: AwsTarget = {
        accountId: c.accountId,
        region: c.region,
        ...(c.roleArn ? { roleArn: c.roleArn } : {}),
      };
      const add = (t: AwsTarget, kinds: CleanupKind[]) => {
        const key = `${t.accountId}/${t.region}`;
        const s = specs.get(key) ?? { key, target: t, clusters: [], kinds: [] };
        if (t.region === c.region && !s.clusters.includes(c.name)) s.clusters.push(c.name);
        for (const k of kinds) if (!s.kinds.includes(k)) s.kinds.push(k);
        specs.set(key, s);
      };
      add(target, [...CLEANUP_KIND_NAMES]);
      const dr = deps.config.backups.drRegion;
      if (dr && dr !== c.region) add({ ...target, region: dr }, ['snapshots']);
    }
    return [...specs.values()]
      .sort((a, b) => (a.key < b.key ? -1 : 1))
      .map((s) => ({
        ...s,
        clusters: s.clusters.sort(),
        kinds: CLEANUP_KIND_NAMES.filter((k) => s.kinds.includes(k)),
      }));
  }

  async function nodegroupExists(target: AwsTarget, cluster: string, nodegroup: string): Promise<boolean> {
    try {
      await eks.describeNodegroup({ target, cluster, nodegroup });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async function instanceFacts(target: AwsTarget): Promise<InstanceFact[]> {
    const inst = instancesGateway(deps.aws, target);
    const states = { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] };
    const launched = [
      ...(await inst.describe([{ Name: 'tag-key', Values: [REPLACEMENT_TAG] }, states])).map((i) => ({
        i,
        purpose: 'replacement' as const,
        of: i.tags[REPLACEMENT_TAG]!,
      })),
      ...(await inst.describe([{ Name: 'tag-key', Values: [FALLBACK_TAG] }, states])).map((i) => ({
        i,
        purpose: 'fallback' as const,
        of: i.tags[FALLBACK_TAG]!,
      })),
      // Batched fleet launches: the assignment tag names the interrupted instance (unassigned: none).
      ...(await inst.describe([{ Name: 'tag-key', Values: [LAUNCH_BATCH_TAG] }, states])).flatMap((i) => {
        const purpose = launchKindOf(i.tags);
        return purpose ? [{ i, purpose, of: replacedBy(i) ?? 'unassigned' }] : [];
      }),
    ];
    if (launched.length === 0) return [];
    const interrupted = await inst.byIds([...new Set(launched.map((l) => l.of))].filter((id) => id.startsWith('i-')));
    const capacity = new Map<string, { desired: number; inService: number } | undefined>();
    const nodesOf = new Map<string, NodeRef[] | undefined>();
    /** The cluster's nodes, when it has Kubernetes access configured and the list could be read. */
    const nodes = async (cluster: string): Promise<NodeRef[] | undefined> => {
      if (nodesOf.has(cluster)) return nodesOf.get(cluster);
      const c = deps.config.clusters.find(
        (x) => x.name === cluster && x.accountId === target.accountId && x.region === target.region,
      );
      let refs: NodeRef[] | undefined;
      if (c?.kubernetes) {
        try {
          const list = await (await kubernetesGateways(deps).forCluster(c)).listNodes();
          refs = list.map((n) => ({ name: n.metadata?.name ?? '', providerID: n.spec?.providerID }));
        } catch {
          // Unknown is not "never joined": without the node list only the capacity rule applies.
          refs = undefined;
        }
      }
      nodesOf.set(cluster, refs);
      return refs;
    };
    const out: InstanceFact[] = [];
    for (const { i, purpose, of } of launched) {
      const cluster = i.tags['eks:cluster-name'];
      const nodegroup = i.tags['eks:nodegroup-name'];
      const gk = `${cluster}/${nodegroup}`;
      if (cluster && nodegroup && !capacity.has(gk)) {
        const cap = await eks
          .nodegroupCapacity({ target, cluster, nodegroup })
          .catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
        capacity.set(gk, cap ? { desired: cap.desired, inService: cap.inService } : undefined);
      }
      const group = capacity.get(gk);
      const clusterNodes = cluster ? await nodes(cluster) : undefined;
      out.push({
        kind: 'instances',
        id: i.instanceId,
        tags: i.tags,
        state: i.state,
        instanceType: i.instanceType,
        launchTime: i.launchTime,
        purpose,
        interruptedInstanceId: of,
        interruptedState: interrupted.find((x) => x.instanceId === of)?.state ?? 'gone',
        ...(group ? { group } : {}),
        ...(clusterNodes ? { joinedCluster: joinedCluster(i, clusterNodes) } : {}),
        ...(usdPerHour(target.region, i.instanceType) !== undefined
          ? { usdPerHour: usdPerHour(target.region, i.instanceType) }
          : {}),
      });
    }
    return out;
  }

  /** Facts of one kind in one account/region: everything that may be a candidate, and everything eksflow tagged. */
  async function gather(spec: CleanupTargetSpec, kind: CleanupKind): Promise<ResourceFact[]> {
    const { target } = spec;
    const ebs = ebsGateway(deps.aws, target);
    const net = ec2NetworkGateway(deps.aws, target);
    const uniq = <T extends { id: string }>(xs: T[]) => [...new Map(xs.map((x) => [x.id, x])).values()];
    switch (kind) {
      case 'volumes': {
        const vols = [
          ...(await ebs.volumes([{ Name: 'status', Values: ['available'] }])),
          ...(await ebs.volumes([{ Name: 'tag-key', Values: [CLEANUP_AFTER_TAG] }])),
        ];
        return uniq(
          vols.map((v) => ({
            kind: 'volumes' as const,
            id: v.volumeId,
            tags: v.tags,
            state: v.state,
            createTime: v.createTime,
            sizeGiB: v.sizeGiB,
            volumeType: v.volumeType,
            attachedTo: v.attachedTo,
          })),
        );
      }
      case 'snapshots':
        return (await ebs.snapshots([{ Name: 'tag-key', Values: [BACKUP_OF_TAG] }])).map((s) => ({
          kind: 'snapshots' as const,
          id: s.snapshotId,
          tags: s.tags,
          state: s.state,
          startTime: s.startTime,
          sizeGiB: s.sizeGiB,
        }));
      case 'elasticIps':
        return net.elasticIps();
      case 'networkInterfaces':
        return uniq([
          ...(await net.networkInterfaces([{ Name: 'status', Values: ['available'] }])),
          ...(await net.networkInterfaces([{ Name: 'tag-key', Values: [CLEANUP_AFTER_TAG] }])),
        ]);
      case 'launchTemplates': {
        const lts = await net.nodegroupLaunchTemplates();
        if (lts.length === 0) return [];
        const users = await asgGateway(deps.aws, target).launchTemplateUsers();
        const exists = new Map<string, boolean>();
        const out: LaunchTemplateFact[] = [];
        for (const lt of lts) {
          let found: boolean | undefined;
          if (lt.cluster && lt.nodegroup) {
            const k = `${lt.cluster}/${lt.nodegroup}`;
            if (!exists.has(k)) exists.set(k, await nodegroupExists(target, lt.cluster, lt.nodegroup));
            found = exists.get(k);
          }
          out.push({ ...lt, ...(found === undefined ? {} : { nodegroupExists: found }), usedBy: users[lt.id] ?? [] });
        }
        return out;
      }
      case 'instances':
        return instanceFacts(target);
    }
  }

  /** Looks at every kind in one account/region and returns the two-phase plan (nothing is changed). */
  async function planResourceCleanup(input: { spec: CleanupTargetSpec; at: string }): Promise<TargetPlan> {
    const i = parse(z.object({ spec: specSchema, at: iso }).strict(), input, 'planResourceCleanup');
    const at = new Date(i.at).toISOString();
    const r = rules();
    const assessments: Assessment[] = [];
    const scanned: TargetPlan['scanned'] = {};
    for (const kind of i.spec.kinds) {
      heartbeatIfActivity(kind);
      const facts = await gather(i.spec, kind);
      scanned[kind] = facts.length;
      assessments.push(...facts.map((f) => assess(f, r, at)));
    }
    return { key: i.spec.key, plan: planCleanup(assessments, at, settings()), scanned };
  }

  /**
   * Carries out a plan's tag/untag/delete actions. Before each change the resource is read again:
   * a delete happens only if, at that moment, it is still a candidate, unprotected and its
   * `eksflow:cleanup-after` time has passed; one already gone counts as `absent` (a retry after its
   * delete succeeded). A tag already present is never moved.
   */
  async function applyCleanupActions(input: {
    spec: CleanupTargetSpec;
    at: string;
    actions: CleanupAction[];
  }): Promise<ApplyResult> {
    const i = parse(
      z.object({ spec: specSchema, at: iso, actions: z.array(actionSchema) }).strict(),
      input,
      'applyCleanupActions',
    );
    const at = new Date(i.at).toISOString();
    const { target } = i.spec;
    const where = i.spec.key;
    const tags = ec2TagsGateway(deps.aws, target);
    const r = rules();
    const out: ApplyResult = { tagged: [], untagged: [], deleted: [], absent: [], refused: [] };
    const fresh = new Map<CleanupKind, ResourceFact[]>();
    const current = async (kind: CleanupKind, id: string) => {
      if (!fresh.has(kind)) fresh.set(kind, await gather(i.spec, kind));
      return fresh.get(kind)!.find((f) => f.id === id);
    };
    for (const a of i.actions) {
      if (a.type === 'report' || a.type === 'wait') continue;
      heartbeatIfActivity(a.id);
      const name = `${a.kind}/${a.id}`;
      const f = await current(a.kind, a.id);
      if (!f) {
        out.absent.push(name);
        continue;
      }
      const now = assess(f, r, at);
      if (now.protected) {
        out.refused.push({ id: name, reason: 'protected (eksflow:protect)' });
        continue;
      }
      if (a.type === 'tag') {
        if (!now.candidate) {
          out.refused.push({ id: name, reason: `no longer a candidate: ${now.reason}` });
          continue;
        }
        if (now.cleanupAfter !== undefined && now.cleanupAfter !== 'invalid') continue; // an earlier attempt tagged it
        await tags.set(a.id, { [CLEANUP_AFTER_TAG]: a.cleanupAfter! });
        audit('ec2:CreateTags', `${where}/${name}`, { [CLEANUP_AFTER_TAG]: a.cleanupAfter, reason: a.reason });
        out.tagged.push(name);
      } else if (a.type === 'untag') {
        if (now.cleanupAfter === undefined) continue;
        await tags.remove(a.id, [CLEANUP_AFTER_TAG]);
        audit('ec2:DeleteTags', `${where}/${name}`, { key: CLEANUP_AFTER_TAG, reason: a.reason });
        out.untagged.push(name);
      } else {
        if (!deletable(now, at)) {
          out.refused.push({
            id: name,
            reason: now.candidate
              ? `tag ${now.cleanupAfter ?? 'missing'} not expired at ${at}`
              : `no longer a candidate: ${now.reason}`,
          });
          continue;
        }
        const res = await deleteResource(target, f);
        if (res === 'absent') {
          out.absent.push(name);
          continue;
        }
        audit(DELETE_ACTION[a.kind], `${where}/${name}`, {
          reason: now.reason,
          cleanupAfter: now.cleanupAfter,
          monthlyUsd: now.monthlyUsd,
        });
        out.deleted.push(name);
      }
    }
    return out;
  }

  async function deleteResource(target: AwsTarget, f: ResourceFact): Promise<'deleted' | 'absent'> {
    const net = ec2NetworkGateway(deps.aws, target);
    switch (f.kind) {
      case 'volumes':
        return ebsGateway(deps.aws, target).deleteVolume(f.id);
      case 'snapshots':
        return ebsGateway(deps.aws, target).deleteSnapshot(f.id);
      case 'elasticIps':
        return net.releaseElasticIp(f.id);
      case 'networkInterfaces':
        return net.deleteNetworkInterface(f.id);
      case 'launchTemplates':
        return net.deleteLaunchTemplate(f.id);
      case 'instances':
        return instancesGateway(deps.aws, target).terminate(f.id);
    }
  }

  /** JSON + HTML report of a run under reportsDir/cleanup/. */
  async function writeCleanupReport(input: {
    at: string;
    dryRun: boolean;
    plans: TargetPlan[];
    applied: Record<string, ApplyResult>;
  }): Promise<CleanupReport> {
    const deleted = new Set(Object.values(input.applied).flatMap((a) => a.deleted));
    const all = input.plans.flatMap((p) => p.plan.actions);
    const t = totals(all, deleted);
    const dir = join(deps.reportsDir, 'cleanup');
    mkdirSync(dir, { recursive: true });
    const stamp = input.at.replace(/[:.]/g, '-');
    const jsonPath = join(dir, `cleanup-${stamp}.json`);
    const htmlPath = join(dir, `cleanup-${stamp}.html`);
    const body = {
      at: input.at,
      dryRun: input.dryRun,
      totals: t,
      priceRegion: PRICE_REGION,
      priceSource: PRICE_SOURCE,
      targets: input.plans.map((p) => ({ ...p, applied: input.applied[p.key] })),
    };
    writeFileSync(jsonPath, `${JSON.stringify(body, null, 2)}\n`);
    const rows = input.plans.flatMap((p) =>
      p.plan.actions.map((a) => {
        const done = deleted.has(`${a.kind}/${a.id}`) ? 'deleted' : a.type;
        return `<tr><td>${escapeHtml(p.key)}</td><td>${escapeHtml(a.kind)}</td><td>${escapeHtml(a.id)}</td><td>${escapeHtml(done)}</td><td>${escapeHtml(a.cleanupAfter ?? '')}</td><td style="text-align:right">${a.monthlyUsd.toFixed(2)}</td><td>${escapeHtml(a.reason)}</td></tr>`;
      }),
    );
    writeFileSync(
      htmlPath,
      `<!doctype html><html><head><meta charset="utf-8"><title>eksflow cleanup ${escapeHtml(input.at)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px}</style></head><body>
<h1>Resource cleanup ${input.dryRun ? '(plan — nothing changed)' : ''}</h1>
<p>${escapeHtml(input.at)} · ${t.candidates} candidate(s) worth $${t.candidateUsdMonth.toFixed(2)}/month · ${t.tagged} tagged · ${t.deleted} deleted, $${t.reclaimedUsdMonth.toFixed(2)}/month reclaimed</p>
<table><tr><th>account/region</th><th>kind</th><th>id</th><th>action</th><th>cleanup after</th><th>$/month</th><th>why</th></tr>${rows.join('\n')}</table>
<p><small>Prices: ${escapeHtml(PRICE_SOURCE)} (${PRICE_REGION} figures for every region).</small></p></body></html>\n`,
    );
    return {
      at: input.at,
      dryRun: input.dryRun,
      jsonPath,
      htmlPath,
      totals: t,
      priceRegion: PRICE_REGION,
      priceSource: PRICE_SOURCE,
    };
  }

  return {
    cleanupTargets,
    writeCleanupReport,
    // Batches (the awsBatch preset, with a heartbeat timeout).
    planResourceCleanup: (i: Parameters<typeof planResourceCleanup>[0]) =>
      withLivenessHeartbeat(() => planResourceCleanup(i)),
    applyCleanupActions: (i: Parameters<typeof applyCleanupActions>[0]) =>
      withLivenessHeartbeat(() => applyCleanupActions(i)),
  };
}

const DELETE_ACTION: Record<CleanupKind, string> = {
  volumes: 'ec2:DeleteVolume',
  snapshots: 'ec2:DeleteSnapshot',
  elasticIps: 'ec2:ReleaseAddress',
  networkInterfaces: 'ec2:DeleteNetworkInterface',
  launchTemplates: 'ec2:DeleteLaunchTemplate',
  instances: 'ec2:TerminateInstances',
};
