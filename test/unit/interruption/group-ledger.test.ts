import {
  decodeBatchMarker,
  encodeBatchMarker,
  EMPTY_LEDGER,
  planCapacityBatch,
} from '../../../src/domain/interruption/group-ledger';
import { backAtCapacity } from '../../../src/domain/interruption/ownership';
import { clampEventTime, isStale, SPOT_NOTICE_MS } from '../../../src/domain/interruption/plan';

describe('one writer per group: batches of raises and releases', () => {
  it('N raises in one batch add exactly N and lift max only as far as desired needs', () => {
    const p = planCapacityBatch({ min: 1, desired: 4, max: 5 }, EMPTY_LEDGER, 3, 0);
    expect(p.target).toEqual({ desired: 7, max: 7 });
    expect(p.ledger).toEqual({ outstanding: 3, maxBefore: 5, maxSet: 7 });
  });

  it('releases bring max back down towards its old value, and restore it with the last one', () => {
    const raised = planCapacityBatch({ min: 1, desired: 4, max: 5 }, EMPTY_LEDGER, 3, 0);
    const one = planCapacityBatch({ min: 1, desired: 7, max: 7 }, raised.ledger, 0, 1);
    expect(one.target).toEqual({ desired: 6, max: 6 });
    expect(one.ledger).toEqual({ outstanding: 2, maxBefore: 5, maxSet: 6 });
    const rest = planCapacityBatch({ min: 1, desired: 6, max: 6 }, one.ledger, 0, 2);
    expect(rest.target).toEqual({ desired: 4, max: 5 });
    expect(rest.ledger).toEqual({ outstanding: 0 });
  });

  it('raises and releases in the same batch net out', () => {
    const p = planCapacityBatch({ min: 0, desired: 3, max: 10 }, { outstanding: 2 }, 1, 2);
    expect(p.target).toEqual({ desired: 2, max: 10 });
    expect(p.ledger).toEqual({ outstanding: 1 });
  });

  it('a max someone else changed meanwhile stands, and eksflow forgets its own', () => {
    const p = planCapacityBatch({ min: 1, desired: 5, max: 9 }, { outstanding: 1, maxBefore: 4, maxSet: 5 }, 0, 1);
    expect(p.target).toEqual({ desired: 4, max: 9 });
    expect(p.ledger).toEqual({ outstanding: 0 });
  });

  it('never goes below min', () => {
    expect(planCapacityBatch({ min: 2, desired: 2, max: 3 }, { outstanding: 1 }, 0, 1).target.desired).toBe(2);
  });

  it('the batch marker keeps the size a retried batch plans from', () => {
    const v = encodeBatchMarker('0a1b2c3d-7', { min: 1, desired: 4, max: 5 });
    expect(v).toBe('0a1b2c3d-7:1:4:5');
    expect(decodeBatchMarker(v)).toEqual({ batchId: '0a1b2c3d-7', before: { min: 1, desired: 4, max: 5 } });
    expect(decodeBatchMarker('garbage')).toBeUndefined();
    expect(decodeBatchMarker(undefined)).toBeUndefined();
  });

  it('a group is back at capacity when every desired unit is InService', () => {
    expect(backAtCapacity({ desired: 3, inService: 3 })).toBe(true);
    expect(backAtCapacity({ desired: 3, inService: 2 })).toBe(false);
    expect(backAtCapacity({ desired: 0, inService: 0 })).toBe(false);
  });
});

describe('spot event time clamp', () => {
  const receipt = Date.parse('2026-11-30T10:00:00Z');

  it('an event stamped in the future counts from its receipt: the deadline is receipt + 120 s', () => {
    const t = clampEventTime('2099-01-01T00:00:00Z', receipt);
    expect(t).toBe(receipt);
    expect(t + SPOT_NOTICE_MS).toBe(receipt + 120_000);
    expect(clampEventTime('2026-11-30T10:00:05Z', receipt)).toBe(receipt);
  });

  it('an event stamped before its receipt keeps its time', () => {
    expect(clampEventTime('2026-11-30T09:59:30Z', receipt)).toBe(receipt - 30_000);
    expect(clampEventTime('2019-01-01T00:00:00Z', receipt)).toBe(Date.parse('2019-01-01T00:00:00Z'));
  });

  it('an unreadable stamp counts from the receipt', () => {
    expect(clampEventTime('not a date', receipt)).toBe(receipt);
  });

  it('stale: the two minutes ran out before the event arrived', () => {
    expect(isStale(receipt - 121_000, receipt)).toBe(true);
    expect(isStale(receipt - 120_000, receipt)).toBe(false);
    expect(isStale(receipt, receipt)).toBe(false);
  });
});
