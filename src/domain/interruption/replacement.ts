/**
 * Which instance types may replace an interrupted spot instance: the node group's configured
 * types first (known to work for its pods), then types of the same architecture with the same
 * vCPU and at least the same memory (up to twice), closest first. Diversifying over many pools
 * is what lets price-capacity-optimized find capacity when one pool is being reclaimed; the
 * interrupted type goes last because its pool is the one AWS is taking back.
 */
import { isGravitonType } from '../pricing/graviton';

export interface InstanceSpec {
  vcpu: number;
  memoryGiB: number;
}

export interface ReplacementTypeRequest {
  interruptedType: string;
  configuredTypes: string[];
  /** Types we know the size of (the shipped price table), as candidates beyond the configured ones. */
  catalogue: Record<string, InstanceSpec>;
  /** EC2 Fleet takes a bounded number of overrides; a handful of pools is plenty. Default 8. */
  maxTypes?: number;
}

export function similarInstanceTypes(req: ReplacementTypeRequest): string[] {
  const maxTypes = req.maxTypes ?? 8;
  const ref = req.catalogue[req.interruptedType] ?? req.configuredTypes.map((t) => req.catalogue[t]).find(Boolean);
  const arm = isGravitonType(req.interruptedType);
  const fits = (type: string, spec: InstanceSpec) =>
    isGravitonType(type) === arm &&
    !!ref &&
    spec.vcpu === ref.vcpu &&
    spec.memoryGiB >= ref.memoryGiB &&
    spec.memoryGiB <= ref.memoryGiB * 2;
  const similar = Object.entries(req.catalogue)
    .filter(([type, spec]) => fits(type, spec))
    .sort(([ta, a], [tb, b]) => a.memoryGiB - b.memoryGiB || ta.localeCompare(tb))
    .map(([type]) => type);
  const ordered = [...req.configuredTypes, ...similar].filter(
    (t, i, all) => all.indexOf(t) === i && t !== req.interruptedType,
  );
  return [...ordered.slice(0, maxTypes - 1), req.interruptedType];
}

/**
 * Fleet overrides: every type in every subnet (each subnet is one AZ), capped so the request
 * stays within EC2 Fleet's limits while keeping every type represented.
 */
export function fleetOverrides(
  types: string[],
  subnets: string[],
  maxOverrides = 50,
): { InstanceType: string; SubnetId: string }[] {
  if (subnets.length === 0) throw new Error('no subnets to launch a replacement in');
  const out: { InstanceType: string; SubnetId: string }[] = [];
  for (const t of types) for (const s of subnets) out.push({ InstanceType: t, SubnetId: s });
  return out.slice(0, maxOverrides);
}
