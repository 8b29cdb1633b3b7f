import type { ClusterConfig, NodegroupConfig } from '../../config/clusters';
import type { TimetableConfig } from '../../config/timetable';
import {
  businessDayProfile,
  HOURS_PER_MONTH,
  monthlyNodeHours,
  scheduleHours,
  type ScheduleHours,
} from './schedule-hours';
import { onDemandUsd, priceKey, type FleetPriceBook } from './prices';

/** The cost of one node group under the timetable. Money in USD. Plain JSON. */
export interface NodegroupCost extends CostTotals {
  cluster: string;
  accountId: string;
  region: string;
  nodegroup: string;
  capacityType: 'ON_DEMAND' | 'SPOT';
  workload: 'stateless' | 'stateful';
  instanceTypes: string[];
  /** Nodes in business hours and off hours (the floor applied). */
  businessNodes: number;
  offNodes: number;
  /** Price per node-hour as billed (On-Demand or spot). Undefined when unknown. */
  pricePerNodeHour?: number;
  /** What the same node would cost On-Demand. */
  onDemandPricePerNodeHour?: number;
  priceNote: string;
  monthlyNodeHours: number;
  /** Cost per IST hour of a business day (index = hour). */
  businessDayHourly: number[];
  /** False when a price is missing; the group is then left out of every total. */
  priced: boolean;
  problems: string[];
}

export interface CostTotals {
  hourlyBusiness: number;
  hourlyOff: number;
  dailyBusinessDay: number;
  dailyOffDay: number;
  monthly: number;
  /** Always on at the business size, On-Demand: the baseline savings are measured against. */
  monthlyAlwaysOnOnDemand: number;
  /** Timetable applied, but On-Demand. */
  monthlyScheduledOnDemand: number;
  timetableSavingsMonthly: number;
  spotSavingsMonthly: number;
}

export interface ClusterCost extends CostTotals {
  cluster: string;
  accountId: string;
  region: string;
  nodegroups: NodegroupCost[];
  unpricedNodegroups: number;
}

export interface FleetCost extends CostTotals {
  clusters: ClusterCost[];
  schedule: ScheduleHours;
  assumptions: string[];
  problems: string[];
}

export const COST_ASSUMPTIONS = [
  'Business days (timetable.businessDays, holidays removed) run 08:00–18:00 IST at businessHours.desired; all other hours run at offHours.desired; neither below the node group floor.',
  'The 18:00–18:30 gradual scale-down is approximated as a straight line (half an hour at the mean of the two sizes); the 08:00 scale-up as instant.',
  `A month is ${HOURS_PER_MONTH} hours (AWS billing convention); the holiday list is taken to cover one year.`,
  'ON_DEMAND node groups are priced at their first instance type (EKS launches On-Demand capacity in the listed priority order).',
  'SPOT node groups are priced at the mean current spot price over the AZs of each listed type, averaged over the types; without spot history, at On-Demand × (1 − Spot Advisor savings).',
  'Node groups in bounds mode (an autoscaler owns desired) are priced at the configured desired sizes.',
  'Only EC2 instance-hours are counted: no EBS, data transfer, EKS control plane or Savings Plans/Reserved Instance discounts.',
];

interface GroupPrice {
  price?: number;
  onDemand?: number;
  note: string;
  problems: string[];
}

function priceGroup(region: string, ng: NodegroupConfig, book: FleetPriceBook): GroupPrice {
  if (ng.capacityType === 'ON_DEMAND') {
    const type = ng.instanceTypes[0];
    const quote = book.onDemand[priceKey(region, type)];
    const price = quote?.usdPerHour;
    if (price === undefined) {
      return { note: 'no price', problems: [quote?.note ?? `no On-Demand price for ${type} in ${region}`] };
    }
    const via = quote.source === 'fallback-table' ? ` (shipped table, ${quote.sourceDate})` : '';
    return { price, onDemand: price, note: `On-Demand ${type}${via}`, problems: [] };
  }
  const spotPrices: number[] = [];
  const onDemandPrices: number[] = [];
  const missing: string[] = [];
  let estimated = false;
  for (const type of ng.instanceTypes) {
    const spot = book.spot[priceKey(region, type)];
    const od = onDemandUsd(book, region, type);
    if (!spot || od === undefined) {
      missing.push(type);
      continue;
    }
    spotPrices.push(spot.usdPerHour);
    onDemandPrices.push(od);
    estimated ||= spot.source === 'advisor-estimate';
  }
  const why = (types: string[]) => {
    const noOnDemand = types.filter((t) => onDemandUsd(book, region, t) === undefined);
    const noSpot = types.filter((t) => !book.spot[priceKey(region, t)]);
    const parts: string[] = [];
    if (noSpot.length) parts.push(`no spot history or Spot Advisor estimate for ${noSpot.join(', ')}`);
    if (noOnDemand.length) parts.push(`no On-Demand price for ${noOnDemand.join(', ')}`);
    return `${parts.join('; ')} in ${region}`;
  };
  const problems = missing.length ? [why(missing)] : [];
  if (spotPrices.length === 0) return { note: 'no price', problems };
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  // Types that could be priced carry the group; the others are listed as problems but do not void it.
  return {
    price: mean(spotPrices),
    onDemand: mean(onDemandPrices),
    note: `spot, mean of ${spotPrices.length} type(s)${estimated ? ' (partly Spot Advisor estimate)' : ''}`,
    problems: problems.map((p) => `${p} — left out of the group's spot mean`),
  };
}

export function costNodegroup(
  cluster: ClusterConfig,
  ng: NodegroupConfig,
  hours: ScheduleHours,
  book: FleetPriceBook,
): NodegroupCost {
  const businessNodes = Math.max(ng.businessHours.desired, ng.floor);
  const offNodes = Math.max(ng.offHours.desired, ng.floor);
  const nodeHours = monthlyNodeHours(hours, businessNodes, offNodes);
  const gp = priceGroup(cluster.region, ng, book);
  const price = gp.price ?? 0;
  const od = gp.onDemand ?? 0;
  const businessDayNodeHours =
    hours.businessHoursPerBusinessDay * businessNodes +
    hours.rampHoursPerBusinessDay * ((businessNodes + offNodes) / 2) +
    hours.offHoursPerBusinessDay * offNodes;
  const monthly = nodeHours * price;
  const scheduledOd = nodeHours * od;
  const alwaysOnOd = HOURS_PER_MONTH * businessNodes * od;
  return {
    cluster: cluster.name,
    accountId: cluster.accountId,
    region: cluster.region,
    nodegroup: ng.name,
    capacityType: ng.capacityType,
    workload: ng.workload,
    instanceTypes: ng.instanceTypes,
    businessNodes,
    offNodes,
    pricePerNodeHour: gp.price,
    onDemandPricePerNodeHour: gp.onDemand,
    priceNote: gp.note,
    monthlyNodeHours: nodeHours,
    hourlyBusiness: businessNodes * price,
    hourlyOff: offNodes * price,
    dailyBusinessDay: businessDayNodeHours * price,
    dailyOffDay: 24 * offNodes * price,
    monthly,
    monthlyAlwaysOnOnDemand: alwaysOnOd,
    monthlyScheduledOnDemand: scheduledOd,
    timetableSavingsMonthly: alwaysOnOd - scheduledOd,
    spotSavingsMonthly: scheduledOd - monthly,
    businessDayHourly: businessDayProfile(businessNodes, offNodes).map((n) => n * price),
    priced: gp.price !== undefined,
    problems: gp.problems.map(
      (p) => `${cluster.name}/${ng.name}: ${p}${gp.price === undefined ? ' — node group left out of the totals' : ''}`,
    ),
  };
}

const TOTAL_KEYS: (keyof CostTotals)[] = [
  'hourlyBusiness',
  'hourlyOff',
  'dailyBusinessDay',
  'dailyOffDay',
  'monthly',
  'monthlyAlwaysOnOnDemand',
  'monthlyScheduledOnDemand',
  'timetableSavingsMonthly',
  'spotSavingsMonthly',
];

function sumTotals(items: CostTotals[]): CostTotals {
  const out = Object.fromEntries(TOTAL_KEYS.map((k) => [k, 0])) as unknown as CostTotals;
  for (const item of items) for (const k of TOTAL_KEYS) out[k] += item[k];
  return out;
}

/** Hourly, daily and monthly cost of every cluster and node group, and what the timetable and spot save. */
export function analyseFleetCost(
  clusters: ClusterConfig[],
  timetable: Pick<TimetableConfig, 'businessDays' | 'holidays'>,
  book: FleetPriceBook,
): FleetCost {
  const hours = scheduleHours(timetable);
  const clusterCosts = clusters.map((cluster): ClusterCost => {
    const nodegroups = cluster.nodegroups.map((ng) => costNodegroup(cluster, ng, hours, book));
    const priced = nodegroups.filter((n) => n.priced);
    return {
      cluster: cluster.name,
      accountId: cluster.accountId,
      region: cluster.region,
      nodegroups,
      unpricedNodegroups: nodegroups.length - priced.length,
      ...sumTotals(priced),
    };
  });
  return {
    clusters: clusterCosts,
    schedule: hours,
    assumptions: COST_ASSUMPTIONS,
    problems: clusterCosts.flatMap((c) => c.nodegroups.flatMap((n) => n.problems)),
    ...sumTotals(clusterCosts),
  };
}
