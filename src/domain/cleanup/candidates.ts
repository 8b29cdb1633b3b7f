/**
 * Which resources have no purpose any more, from facts gathered by the cleanup activities.
 * Pure: time is a parameter. The same function decides at planning time and again, with fresh
 * facts, right before a delete — so nothing is deleted that is not a candidate at that moment.
 */
import {
  BACKUP_OF_TAG,
  BACKUP_POLICY_TAG,
  CLEANUP_AFTER_TAG,
  PROTECT_TAG,
  TAKEN_AT_TAG,
  type Tags,
} from '../backups/tags';
import { elasticIpMonthlyUsd, instanceMonthlyUsd, snapshotMonthlyUsd, volumeMonthlyUsd } from './prices';
import { ATTACHED_TAG } from '../interruption/ownership';

export const CLEANUP_KIND_NAMES = [
  'volumes',
  'snapshots',
  'elasticIps',
  'networkInterfaces',
  'launchTemplates',
  'instances',
] as const;
export type CleanupKind = (typeof CLEANUP_KIND_NAMES)[number];

interface FactBase {
  id: string;
  tags: Tags;
}
export interface VolumeFact extends FactBase {
  kind: 'volumes';
  state: string;
  createTime: string;
  sizeGiB: number;
  volumeType: string;
  attachedTo: string[];
}
export interface SnapshotFact extends FactBase {
  kind: 'snapshots';
  state: string;
  startTime: string;
  sizeGiB: number;
}
export interface ElasticIpFact extends FactBase {
  kind: 'elasticIps';
  publicIp: string;
  associationId?: string;
  networkInterfaceId?: string;
}
export interface NetworkInterfaceFact extends FactBase {
  kind: 'networkInterfaces';
  status: string;
  interfaceType: string;
  requesterManaged: boolean;
  description: string;
}
export interface LaunchTemplateFact extends FactBase {
  kind: 'launchTemplates';
  name: string;
  createTime: string;
  /** From the `eks:cluster-name` / `eks:nodegroup-name` tags EKS puts on the templates it makes. */
  cluster?: string;
  nodegroup?: string;
  /** Whether that node group still exists; undefined when the template names none. */
  nodegroupExists?: boolean;
  /** Auto Scaling groups still launching from it. */
  usedBy: string[];
}
export interface InstanceFact extends FactBase {
  kind: 'instances';
  state: string;
  instanceType: string;
  launchTime: string;
  /** `eksflow:replacement-for` (spot replacement) or `eksflow:fallback-for` (on-demand fallback). */
  purpose: 'replacement' | 'fallback';
  interruptedInstanceId: string;
  /** The interrupted instance's state, `gone` when EC2 no longer knows it. */
  interruptedState: string;
  /** The node group's Auto Scaling capacity now; undefined when the group is unknown. */
  group?: { desired: number; inService: number };
  /** Whether the instance became a node of the cluster; undefined without Kubernetes API access. */
  joinedCluster?: boolean;
  usdPerHour?: number;
}
export type ResourceFact =
  VolumeFact | SnapshotFact | ElasticIpFact | NetworkInterfaceFact | LaunchTemplateFact | InstanceFact;

export interface CandidateRules {
  volumeMinAgeDays: number;
  includePvcVolumes: boolean;
  instanceJoinGraceMinutes: number;
  /** Retention horizon (days) per backup policy name; `defaultHorizonDays` for others. */
  snapshotHorizonDays: Record<string, number>;
  defaultHorizonDays: number;
}

export interface Assessment {
  kind: CleanupKind;
  id: string;
  candidate: boolean;
  reason: string;
  protected: boolean;
  /** The parsed `eksflow:cleanup-after` tag; `invalid` when present but unreadable. */
  cleanupAfter?: string;
  monthlyUsd: number;
}

const DAY = 86_400_000;
const gone = new Set(['gone', 'terminated', 'shutting-down']);

function ageMs(iso: string, at: string): number {
  return Date.parse(at) - Date.parse(iso);
}

function judge(
  f: ResourceFact,
  rules: CandidateRules,
  at: string,
): { candidate: boolean; reason: string; monthlyUsd: number } {
  switch (f.kind) {
    case 'volumes': {
      const usd = volumeMonthlyUsd(f.volumeType, f.sizeGiB);
      if (f.state !== 'available' || f.attachedTo.length > 0)
        return { candidate: false, reason: `volume is ${f.state}`, monthlyUsd: usd };
      if (!rules.includePvcVolumes && f.tags['kubernetes.io/created-for/pvc/name'] !== undefined) {
        return {
          candidate: false,
          reason: `created for PVC ${f.tags['kubernetes.io/created-for/pvc/name']} (may still be bound; cleanup.includePvcVolumes is false)`,
          monthlyUsd: usd,
        };
      }
      const days = ageMs(f.createTime, at) / DAY;
      if (days < rules.volumeMinAgeDays)
        return { candidate: false, reason: `unattached but only ${days.toFixed(1)} days old`, monthlyUsd: usd };
      return { candidate: true, reason: `unattached, created ${days.toFixed(1)} days ago`, monthlyUsd: usd };
    }
    case 'snapshots': {
      const usd = snapshotMonthlyUsd(f.sizeGiB);
      if (f.tags[BACKUP_OF_TAG] === undefined)
        return { candidate: false, reason: 'not made by eksflow', monthlyUsd: usd };
      if (f.state !== 'completed') return { candidate: false, reason: `snapshot is ${f.state}`, monthlyUsd: usd };
      const policy = f.tags[BACKUP_POLICY_TAG] ?? '';
      const horizon = rules.snapshotHorizonDays[policy] ?? rules.defaultHorizonDays;
      const taken =
        f.tags[TAKEN_AT_TAG] && !Number.isNaN(Date.parse(f.tags[TAKEN_AT_TAG])) ? f.tags[TAKEN_AT_TAG] : f.startTime;
      const days = ageMs(taken, at) / DAY;
      if (days <= horizon)
        return {
          candidate: false,
          reason: `within policy ${policy || '(none)'} retention (${days.toFixed(1)} ≤ ${horizon} days)`,
          monthlyUsd: usd,
        };
      return {
        candidate: true,
        reason: `${days.toFixed(1)} days old, past policy ${policy || '(none)'} retention of ${horizon} days`,
        monthlyUsd: usd,
      };
    }
    case 'elasticIps': {
      const usd = elasticIpMonthlyUsd();
      if (f.associationId || f.networkInterfaceId) return { candidate: false, reason: 'associated', monthlyUsd: usd };
      return { candidate: true, reason: `Elastic IP ${f.publicIp} not associated`, monthlyUsd: usd };
    }
    case 'networkInterfaces': {
      if (f.status !== 'available') return { candidate: false, reason: `interface is ${f.status}`, monthlyUsd: 0 };
      if (f.requesterManaged) return { candidate: false, reason: 'managed by an AWS service', monthlyUsd: 0 };
      if (f.interfaceType !== 'interface')
        return { candidate: false, reason: `interface type ${f.interfaceType}`, monthlyUsd: 0 };
      return {
        candidate: true,
        reason: `available (unattached)${f.description ? `: ${f.description}` : ''}`,
        monthlyUsd: 0,
      };
    }
    case 'launchTemplates': {
      if (!f.cluster || !f.nodegroup) return { candidate: false, reason: 'not a node group template', monthlyUsd: 0 };
      if (f.nodegroupExists !== false)
        return { candidate: false, reason: `node group ${f.cluster}/${f.nodegroup} exists`, monthlyUsd: 0 };
      if (f.usedBy.length > 0) return { candidate: false, reason: `used by ${f.usedBy.join(', ')}`, monthlyUsd: 0 };
      return { candidate: true, reason: `node group ${f.cluster}/${f.nodegroup} was deleted`, monthlyUsd: 0 };
    }
    case 'instances': {
      const usd = instanceMonthlyUsd(f.usdPerHour);
      if (f.state !== 'running' && f.state !== 'pending' && f.state !== 'stopped')
        return { candidate: false, reason: `instance is ${f.state}`, monthlyUsd: 0 };
      // A spot replacement attached to its Auto Scaling group is the group's capacity now, not a leftover.
      if (f.tags[ATTACHED_TAG])
        return {
          candidate: false,
          reason: `attached to Auto Scaling group ${f.tags[ATTACHED_TAG]}`,
          monthlyUsd: usd,
        };
      const minutes = ageMs(f.launchTime, at) / 60_000;
      if (f.joinedCluster === false && minutes >= rules.instanceJoinGraceMinutes) {
        return {
          candidate: true,
          reason: `${f.purpose} for ${f.interruptedInstanceId} never joined the cluster (${Math.round(minutes)} min)`,
          monthlyUsd: usd,
        };
      }
      if (!gone.has(f.interruptedState))
        return {
          candidate: false,
          reason: `interrupted instance ${f.interruptedInstanceId} is ${f.interruptedState}`,
          monthlyUsd: usd,
        };
      if (!f.group) return { candidate: false, reason: 'node group capacity unknown', monthlyUsd: usd };
      if (f.group.inService < f.group.desired) {
        return {
          candidate: false,
          reason: `group below capacity (${f.group.inService}/${f.group.desired} InService): still needed`,
          monthlyUsd: usd,
        };
      }
      return {
        candidate: true,
        reason: `${f.purpose} for ${f.interruptedInstanceId} (gone); group back at capacity ${f.group.inService}/${f.group.desired}`,
        monthlyUsd: usd,
      };
    }
  }
}

export function assess(f: ResourceFact, rules: CandidateRules, at: string): Assessment {
  const j = judge(f, rules, at);
  const raw = f.tags[CLEANUP_AFTER_TAG];
  const cleanupAfter =
    raw === undefined ? undefined : Number.isNaN(Date.parse(raw)) ? 'invalid' : new Date(Date.parse(raw)).toISOString();
  return {
    kind: f.kind,
    id: f.id,
    candidate: j.candidate,
    reason: j.reason,
    protected: f.tags[PROTECT_TAG] !== undefined,
    cleanupAfter,
    monthlyUsd: j.monthlyUsd,
  };
}
