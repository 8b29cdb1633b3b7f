/**
 * One EC2 Fleet launch for many interrupted instances, and the record of which launched instance
 * stands in for which. A burst of interruptions on the same node group asks for identical
 * capacity; launching it as one fleet of N (as Karpenter batches its CreateFleet calls) is one
 * `CreateFleet` and one `CreateTags` per batch instead of one fleet per instance.
 *
 * The record lives on the instances themselves, so any worker (a retry, another process) reads
 * the same answer:
 * - at launch every instance of the batch carries `eksflow:launch-batch=<id>`, its purpose, and
 *   one member tag per interrupted instance, `eksflow:for:<interrupted-id>=pending <owner>`;
 * - the assignment (sorted members ↔ sorted launched ids) then goes onto every instance of the
 *   batch in one `CreateTags`: `eksflow:for:<interrupted-id>=<launched-id> <owner>`.
 * Instance X replaces Y iff X carries `eksflow:for:Y` with a value starting `X `; the rest of the
 * value is X's owner workflow. A batch of one is tagged as launches always were, complete at
 * launch: `eksflow:replacement-for=Y` (or `eksflow:fallback-for=Y`) and `eksflow:owner`. A batch whose
 * assignment was never written (a crash between the two calls) is completed by whoever finds it,
 * with the same deterministic assignment. The readers accept both forms.
 */
import { FALLBACK_TAG, REPLACEMENT_TAG } from './capacity';
import { OWNER_TAG, PURPOSE_TAG, type LaunchPurpose } from './ownership';

export const LAUNCH_BATCH_TAG = 'eksflow:launch-batch';
export const MEMBER_TAG_PREFIX = 'eksflow:for:';
const PENDING = 'pending';
/**
 * EC2 allows 50 tags per resource; a batch's instances carry 5 common tags (batch, purpose and the
 * three EKS ownership tags) plus one per member, so 40 members leave room.
 */
export const MAX_BATCH_MEMBERS = 40;

export function memberTagKey(interruptedId: string): string {
  return `${MEMBER_TAG_PREFIX}${interruptedId}`;
}

/** Tag values allow letters, digits, spaces and `+-=._:/@`; anything else in an owner id becomes `-`. */
function ownerText(owner: string): string {
  return owner.replace(/[^A-Za-z0-9 +\-=._:/@]/g, '-').slice(0, 200);
}

/** The plain owner tag of a batch of one (`eksflow:owner`), in the characters EC2 allows. */
export function ownerTagValue(owner: string): string {
  return ownerText(owner);
}

/** The workflow that owns a launched instance: its plain owner tag, or its batch's assignment tag. */
export function ownerOf(i: TaggedInstance): string | undefined {
  if (i.tags[OWNER_TAG]) return i.tags[OWNER_TAG];
  const of = replacedBy(i);
  return of ? parseMemberValue(i.tags[memberTagKey(of)])?.owner : undefined;
}

export function pendingMemberValue(owner: string): string {
  return `${PENDING} ${ownerText(owner)}`;
}

export function assignedMemberValue(launchedId: string, owner: string): string {
  return `${launchedId} ${ownerText(owner)}`;
}

/** `{ launched, owner }` of a member tag value; `launched` undefined while pending. */
export function parseMemberValue(value: string | undefined): { launched?: string; owner: string } | undefined {
  const m = /^(\S+) ?(.*)$/.exec(value ?? '');
  if (!m) return undefined;
  return m[1] === PENDING ? { owner: m[2]! } : { launched: m[1], owner: m[2]! };
}

/** The interrupted instances a batch was launched for, from one of its instances' tags (sorted). */
export function batchMembers(tags: Record<string, string>): string[] {
  return Object.keys(tags)
    .filter((k) => k.startsWith(MEMBER_TAG_PREFIX))
    .map((k) => k.slice(MEMBER_TAG_PREFIX.length))
    .sort();
}

/**
 * Who gets which instance: members and launched ids both sorted, paired in order; members beyond
 * the launched count get nothing (the fleet launched fewer than asked) and launch again.
 */
export function assignBatch(members: string[], launchedIds: string[]): Map<string, string> {
  const ms = [...new Set(members)].sort();
  const ids = [...new Set(launchedIds)].sort();
  const out = new Map<string, string>();
  for (let i = 0; i < Math.min(ms.length, ids.length); i++) out.set(ms[i]!, ids[i]!);
  return out;
}

/** The member tags that record an assignment, given each member's owner. */
export function assignmentTags(assignment: Map<string, string>, owners: Map<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [member, launched] of assignment)
    out[memberTagKey(member)] = assignedMemberValue(launched, owners.get(member) ?? '');
  return out;
}

export interface TaggedInstance {
  instanceId: string;
  tags: Record<string, string>;
}

/** Which replacement kind an instance was launched as, by its tags (older one-to-one tags included). */
export function launchKindOf(tags: Record<string, string>): 'replacement' | 'fallback' | undefined {
  const purpose = tags[PURPOSE_TAG] as LaunchPurpose | undefined;
  if (purpose === 'on-demand-fallback' || (!purpose && tags[FALLBACK_TAG])) return 'fallback';
  if (purpose === 'spot-replacement' || purpose === 'return-to-spot' || (!purpose && tags[REPLACEMENT_TAG]))
    return 'replacement';
  return undefined;
}

/**
 * The interrupted instance a launched instance stands in for: from its own assignment tag, or the
 * older one-to-one tag. `undefined` for an instance of a batch whose assignment is not written yet.
 */
export function replacedBy(i: TaggedInstance): string | undefined {
  const old = i.tags[REPLACEMENT_TAG] ?? i.tags[FALLBACK_TAG];
  if (old) return old;
  for (const member of batchMembers(i.tags))
    if (parseMemberValue(i.tags[memberTagKey(member)])?.launched === i.instanceId) return member;
  return undefined;
}

/** Whether a batch's assignment has been written (any member tag carries a launched id). */
export function batchAssigned(instances: TaggedInstance[]): boolean {
  return instances.some((i) => batchMembers(i.tags).some((m) => !!parseMemberValue(i.tags[memberTagKey(m)])?.launched));
}

/**
 * What a lookup for `interruptedId` finds among instances carrying its member tag (or an older
 * tag): the instances assigned to it, and the batches seen without an assignment (to complete).
 */
export function findLaunchedFor(
  instances: TaggedInstance[],
  interruptedId: string,
  purpose?: LaunchPurpose,
): { mine: string[]; unassignedBatches: Map<string, TaggedInstance[]> } {
  const mine: string[] = [];
  const batches = new Map<string, TaggedInstance[]>();
  for (const i of instances) {
    if (purpose && (i.tags[PURPOSE_TAG] ?? purpose) !== purpose) continue;
    const batch = i.tags[LAUNCH_BATCH_TAG];
    if (!batch) {
      if (i.tags[REPLACEMENT_TAG] === interruptedId || i.tags[FALLBACK_TAG] === interruptedId) mine.push(i.instanceId);
      continue;
    }
    if (!(memberTagKey(interruptedId) in i.tags)) continue;
    batches.set(batch, [...(batches.get(batch) ?? []), i]);
  }
  const unassignedBatches = new Map<string, TaggedInstance[]>();
  for (const [batch, members] of batches) {
    if (!batchAssigned(members)) {
      unassignedBatches.set(batch, members);
      continue;
    }
    for (const i of members) if (replacedBy(i) === interruptedId) mine.push(i.instanceId);
  }
  return { mine: [...new Set(mine)].sort(), unassignedBatches };
}

/** The deterministic assignment of a batch found unassigned: its members (from the tags) ↔ its instances. */
export function completeAssignment(instances: TaggedInstance[]): {
  assignment: Map<string, string>;
  owners: Map<string, string>;
} {
  const members = [...new Set(instances.flatMap((i) => batchMembers(i.tags)))].sort();
  const owners = new Map<string, string>();
  for (const m of members)
    for (const i of instances) {
      const v = parseMemberValue(i.tags[memberTagKey(m)]);
      if (v) {
        owners.set(m, v.owner);
        break;
      }
    }
  return {
    assignment: assignBatch(
      members,
      instances.map((i) => i.instanceId),
    ),
    owners,
  };
}
