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
