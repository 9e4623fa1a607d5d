import { addDays } from '../policies/policy.rules';
import { sha256 } from '../common/hash';

/** One payment obligation: the issuing province pays the provider's province. */
export interface Flow {
  fromProvinceCode: string;
  toProvinceCode: string;
  amountFen: number;
}

export interface Clearing {
  gross: Flow[];
  net: { provinceCode: string; netFen: number }[];
  transfers: Flow[];
}

const byCode = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Multilateral netting: gross flows per province pair, each province's net position
 * (received − paid), and a greedy set of transfers that settles every position.
 * Each transfer closes at least one position and the last closes two, hence at most n−1 transfers.
 * Sums run in BigInt because a period's totals can exceed the safe-integer range of any single flow.
 */
export function clear(flows: Flow[]): Clearing {
  const grossByPair = new Map<string, { from: string; to: string; amount: bigint }>();
  const netByProvince = new Map<string, bigint>();
  for (const { fromProvinceCode: from, toProvinceCode: to, amountFen } of flows) {
    const amount = BigInt(amountFen);
    const key = `${from}\u0000${to}`;
    const pair = grossByPair.get(key) ?? { from, to, amount: 0n };
    pair.amount += amount;
    grossByPair.set(key, pair);
    netByProvince.set(from, (netByProvince.get(from) ?? 0n) - amount);
    netByProvince.set(to, (netByProvince.get(to) ?? 0n) + amount);
  }

  const gross = [...grossByPair.values()]
    .filter((p) => p.amount !== 0n)
    .sort((a, b) => byCode(a.from, b.from) || byCode(a.to, b.to))
    .map((p) => ({ fromProvinceCode: p.from, toProvinceCode: p.to, amountFen: Number(p.amount) }));

  const positions = [...netByProvince.entries()].sort(([a], [b]) => byCode(a, b));
  const net = positions.map(([provinceCode, netFen]) => ({ provinceCode, netFen: Number(netFen) }));

  const debtors = positions.filter(([, n]) => n < 0n).map(([code, n]) => ({ code, owes: -n }));
  const creditors = positions.filter(([, n]) => n > 0n).map(([code, n]) => ({ code, owes: n }));
  const largestFirst = (a: { code: string; owes: bigint }, b: { code: string; owes: bigint }) =>
    a.owes > b.owes ? -1 : a.owes < b.owes ? 1 : byCode(a.code, b.code);
  const transfers: Flow[] = [];
  while (debtors.length > 0 && creditors.length > 0) {
    debtors.sort(largestFirst);
    creditors.sort(largestFirst);
    const [debtor, creditor] = [debtors[0], creditors[0]];
    const amount = debtor.owes < creditor.owes ? debtor.owes : creditor.owes;
    transfers.push({ fromProvinceCode: debtor.code, toProvinceCode: creditor.code, amountFen: Number(amount) });
    debtor.owes -= amount;
    creditor.owes -= amount;
    if (debtor.owes === 0n) debtors.shift();
    if (creditor.owes === 0n) creditors.shift();
  }
  return { gross, net, transfers };
}

/**
 * The Beijing days before `from` that no standing run's period covers, as ranges [start, end) (start null: from the
 * first day there is): lines paid on them and uncleared belong to a period never recorded, which a run of a later
 * period would take in unasked (Q3 recorded before Q2 taking in Q2). A day a run covers is caught up as usual: a line
 * paid on it after its run was recorded (a period's last day) goes into the next run.
 */
export function uncoveredBefore(from: string, periods: { from: string; to: string }[]): { start: string | null; end: string }[] {
  const gaps: { start: string | null; end: string }[] = [];
  let next: string | null = null; // the first day the periods so far leave uncovered
  for (const p of periods.filter((q) => q.from < from).sort((a, b) => byCode(a.from, b.from))) {
    if (next === null || p.from > next) gaps.push({ start: next, end: p.from });
    const after = addDays(p.to, 1);
    if (next === null || after > next) next = after;
  }
  if (next === null || next < from) gaps.push({ start: next, end: from });
  return gaps;
}

/**
 * A set of settlement lines as one SHA-256: their ids sorted (by code unit, the same on every database's collation)
 * and joined. Two equal hashes are the same lines, whatever order the database read them in.
 */
export function linesHash(lineIds: string[]): string {
  return sha256([...lineIds].sort(byCode).join('\n'));
}
