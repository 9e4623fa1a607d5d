import { proposalAgeDays, proposalExpired } from '../../src/clearing/clearing-proposal.rules';

describe('clearing proposal age', () => {
  const at = '2026-03-01T10:00:00.000Z';
  it('counts whole days and refuses only past the limit', () => {
    expect(proposalAgeDays(at, '2026-03-08T09:59:59.999Z')).toBe(6);
    expect(proposalAgeDays(at, '2026-03-08T10:00:00.000Z')).toBe(7);
    expect(proposalExpired(at, '2026-03-09T09:59:59.999Z', 7)).toBe(false);
    expect(proposalExpired(at, '2026-03-09T10:00:00.000Z', 7)).toBe(true);
  });
});
