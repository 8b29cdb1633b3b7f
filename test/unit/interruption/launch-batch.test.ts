import { FALLBACK_TAG, REPLACEMENT_TAG } from '../../../src/domain/interruption/capacity';
import {
  assignBatch,
  assignedMemberValue,
  assignmentTags,
  batchAssigned,
  batchMembers,
  completeAssignment,
  findLaunchedFor,
  LAUNCH_BATCH_TAG,
  launchKindOf,
  MAX_BATCH_MEMBERS,
  memberTagKey,
  ownerOf,
  parseMemberValue,
  pendingMemberValue,
  replacedBy,
  type TaggedInstance,
} from '../../../src/domain/interruption/launch-batch';
import { OWNER_TAG, PURPOSE_TAG } from '../../../src/domain/interruption/ownership';

const Y1 = 'i-0000000000000000a';
const Y2 = 'i-0000000000000000b';
const Y3 = 'i-0000000000000000c';
const X1 = 'i-1111111111111111a';
const X2 = 'i-1111111111111111b';

/** The tags a batch's instances carry at launch (before the assignment). */
const launchTags = (batch: string, members: string[], purpose = 'spot-replacement'): Record<string, string> => ({
  [LAUNCH_BATCH_TAG]: batch,
  [PURPOSE_TAG]: purpose,
  ...Object.fromEntries(members.map((m) => [memberTagKey(m), pendingMemberValue(`spot-interruption/${m}`)])),
});

describe('launch batch tags', () => {
  it('names a member by its interrupted instance and carries the owner in the value', () => {
    expect(memberTagKey(Y1)).toBe(`eksflow:for:${Y1}`);
    expect(pendingMemberValue(`spot-interruption/${Y1}`)).toBe(`pending spot-interruption/${Y1}`);
    expect(assignedMemberValue(X1, `spot-interruption/${Y1}`)).toBe(`${X1} spot-interruption/${Y1}`);
    expect(parseMemberValue(`pending spot-interruption/${Y1}`)).toEqual({ owner: `spot-interruption/${Y1}` });
    expect(parseMemberValue(`${X1} spot-interruption/${Y1}`)).toEqual({
      launched: X1,
      owner: `spot-interruption/${Y1}`,
    });
    expect(parseMemberValue(undefined)).toBeUndefined();
    expect(parseMemberValue('')).toBeUndefined();
  });
  it('keeps owner ids inside the characters EC2 allows in tag values', () => {
    expect(pendingMemberValue('run#1 (retry)')).toBe('pending run-1 -retry-');
    expect(pendingMemberValue('x'.repeat(300)).length).toBe('pending '.length + 200);
  });
  it('leaves room for the five common tags within EC2’s 50 per resource', () => {
    expect(MAX_BATCH_MEMBERS + 5).toBeLessThanOrEqual(50);
  });
  it('lists the members of a batch from any instance’s tags, sorted', () => {
    expect(batchMembers(launchTags('b', [Y2, Y1]))).toEqual([Y1, Y2]);
    expect(batchMembers({ [REPLACEMENT_TAG]: Y1 })).toEqual([]);
  });
});

describe('assignBatch', () => {
  it('pairs sorted members with sorted launched ids', () => {
    expect([...assignBatch([Y2, Y1], [X2, X1])]).toEqual([
      [Y1, X1],
      [Y2, X2],
    ]);
  });
  it('leaves members beyond the launched count without an instance', () => {
    expect([...assignBatch([Y3, Y1, Y2], [X2])]).toEqual([[Y1, X2]]);
    expect(assignBatch([Y1], []).size).toBe(0);
  });
  it('ignores duplicates', () => {
    expect([...assignBatch([Y1, Y1], [X1, X1, X2])]).toEqual([[Y1, X1]]);
  });
  it('turns an assignment into one tag per member with its owner', () => {
    const owners = new Map([
      [Y1, 'spot-interruption/a'],
      [Y2, 'spot-interruption/b'],
    ]);
    expect(
      assignmentTags(
        new Map([
          [Y1, X1],
          [Y2, X2],
        ]),
        owners,
      ),
    ).toEqual({
      [memberTagKey(Y1)]: `${X1} spot-interruption/a`,
      [memberTagKey(Y2)]: `${X2} spot-interruption/b`,
    });
  });
});

describe('reading who replaces whom', () => {
  const assigned = (batch: string): TaggedInstance[] => {
    const tags = {
      ...launchTags(batch, [Y1, Y2]),
      [memberTagKey(Y1)]: assignedMemberValue(X1, 'o1'),
      [memberTagKey(Y2)]: assignedMemberValue(X2, 'o2'),
    };
    return [
      { instanceId: X1, tags },
      { instanceId: X2, tags },
    ];
  };
  it('an instance replaces the member whose tag names it', () => {
    const [a, b] = assigned('b1');
    expect(replacedBy(a!)).toBe(Y1);
    expect(replacedBy(b!)).toBe(Y2);
    expect(batchAssigned(assigned('b1'))).toBe(true);
  });
  it('an unassigned batch instance replaces nobody yet', () => {
    const i = { instanceId: X1, tags: launchTags('b1', [Y1, Y2]) };
    expect(replacedBy(i)).toBeUndefined();
    expect(batchAssigned([i])).toBe(false);
  });
  it('names the owner workflow: the plain tag of a batch of one, else the assignment tag', () => {
    const [a, b] = assigned('b1');
    expect(ownerOf(a!)).toBe('o1');
    expect(ownerOf(b!)).toBe('o2');
    expect(ownerOf({ instanceId: X1, tags: { [OWNER_TAG]: 'spot-interruption/y', [REPLACEMENT_TAG]: Y1 } })).toBe(
      'spot-interruption/y',
    );
    expect(ownerOf({ instanceId: X1, tags: launchTags('b1', [Y1, Y2]) })).toBeUndefined();
  });
  it('reads the older one-to-one tags', () => {
    expect(replacedBy({ instanceId: X1, tags: { [REPLACEMENT_TAG]: Y1 } })).toBe(Y1);
    expect(replacedBy({ instanceId: X1, tags: { [FALLBACK_TAG]: Y2 } })).toBe(Y2);
  });
  it('tells replacements from fallbacks by purpose, or by the older tag', () => {
    expect(launchKindOf({ [PURPOSE_TAG]: 'spot-replacement' })).toBe('replacement');
    expect(launchKindOf({ [PURPOSE_TAG]: 'return-to-spot' })).toBe('replacement');
    expect(launchKindOf({ [PURPOSE_TAG]: 'on-demand-fallback' })).toBe('fallback');
    expect(launchKindOf({ [FALLBACK_TAG]: Y1 })).toBe('fallback');
    expect(launchKindOf({ [REPLACEMENT_TAG]: Y1 })).toBe('replacement');
    expect(launchKindOf({ Name: 'web' })).toBeUndefined();
  });
});

describe('findLaunchedFor', () => {
  it('finds the instance assigned to the member in an assigned batch', () => {
    const tags = {
      ...launchTags('b1', [Y1, Y2]),
      [memberTagKey(Y1)]: assignedMemberValue(X1, 'o1'),
      [memberTagKey(Y2)]: assignedMemberValue(X2, 'o2'),
    };
    const r = findLaunchedFor(
      [
        { instanceId: X2, tags },
        { instanceId: X1, tags },
      ],
      Y2,
    );
    expect(r.mine).toEqual([X2]);
    expect(r.unassignedBatches.size).toBe(0);
  });
  it('finds nothing for a member the fleet had no instance for, in an assigned batch', () => {
    const tags = {
      ...launchTags('b1', [Y1, Y2]),
      [memberTagKey(Y1)]: assignedMemberValue(X1, 'o1'),
    };
    expect(findLaunchedFor([{ instanceId: X1, tags }], Y2)).toEqual({ mine: [], unassignedBatches: new Map() });
  });
  it('returns an unassigned batch to be completed', () => {
    const inst = [{ instanceId: X1, tags: launchTags('b1', [Y1, Y2]) }];
    const r = findLaunchedFor(inst, Y1);
    expect(r.mine).toEqual([]);
    expect([...r.unassignedBatches.keys()]).toEqual(['b1']);
  });
  it('accepts the older one-to-one tag, and filters by purpose', () => {
    const old = { instanceId: X1, tags: { [REPLACEMENT_TAG]: Y1 } };
    const ret = { instanceId: X2, tags: { [REPLACEMENT_TAG]: Y1, [PURPOSE_TAG]: 'return-to-spot' } };
    expect(findLaunchedFor([old, ret], Y1, 'spot-replacement').mine).toEqual([X1]);
    expect(findLaunchedFor([old, ret], Y1, 'return-to-spot').mine).toEqual([X1, X2]);
    expect(findLaunchedFor([old], Y2).mine).toEqual([]);
  });
  it('ignores batches of another purpose', () => {
    const inst = [{ instanceId: X1, tags: launchTags('b1', [Y1], 'on-demand-fallback') }];
    expect(findLaunchedFor(inst, Y1, 'spot-replacement').unassignedBatches.size).toBe(0);
    expect(findLaunchedFor(inst, Y1, 'on-demand-fallback').unassignedBatches.size).toBe(1);
  });
});

describe('completeAssignment', () => {
  it('assigns a batch found unassigned the way the launcher would have, with the owners from the tags', () => {
    const tags = launchTags('b1', [Y2, Y1, Y3]);
    const { assignment, owners } = completeAssignment([
      { instanceId: X2, tags },
      { instanceId: X1, tags },
    ]);
    expect([...assignment]).toEqual([
      [Y1, X1],
      [Y2, X2],
    ]);
    expect(owners.get(Y3)).toBe(`spot-interruption/${Y3}`);
    expect(assignBatch([Y1, Y2, Y3], [X1, X2])).toEqual(assignment);
  });
});
