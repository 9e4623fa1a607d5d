/** The figures of one region's annual report (年度报告), as the PDF and the CSV print them. All money in integer fen. */
export interface AnnualReportData {
  regionCode: string;
  regionName: string;
  provinceCode: string;
  /** Who issues the report: the bureau of the region. */
  bureauName: string;
  year: number;
  generatedAt: string;
  /** The budget split as `GET /api/stats/regions/:code` answers it: committed = voucher available + held + captured + paid. */
  budget: {
    budgetFen: number;
    availableFen: number;
    committedFen: number;
    voucherAvailableFen: number;
    heldFen: number;
    capturedFen: number;
    paidFen: number;
  };
  vouchers: {
    issued: number;
    faceValueFen: number;
    /** Vouchers with any subsidy spent on them. */
    used: number;
    spentFen: number;
    /** Given back to the budget by expiry, revocation and cuts at claim review. */
    releasedFen: number;
    byStatus: { active: number; exhausted: number; expired: number; revoked: number };
  };
  /** Captured subsidies of the region's vouchers by the provider's province (every province, zeros included). */
  flowsOut: ProvinceFlowFigure[];
  /** For a province: captured subsidies at its providers by the issuing province; null for a city. */
  flowsIn: ProvinceFlowFigure[] | null;
  topFacilities: FacilityFigure[];
  captureToPayment: {
    count: number;
    medianHours: number | null;
    p90Hours: number | null;
    buckets: { label: string; count: number }[];
  };
  claims: {
    submitted: number;
    approved: number;
    rejected: number;
    pending: number;
    /** Approved below what was claimed. */
    cut: number;
    /** claimedFen = approvedFen + cutFen + rejectedFen + pendingFen. */
    claimedFen: number;
    approvedFen: number;
    /** What review cut from the approved claims: claimed less approved. */
    cutFen: number;
    rejectedFen: number;
    pendingFen: number;
  };
  disputes: { raised: number; open: number; resolved: number; annulled: number };
  sanctions: {
    recorded: number;
    inForce: number;
    lifted: number;
    /** Ended on their own (`until` passed, never lifted): recorded = inForce + lifted + ended. */
    ended: number;
    items: { creditCode: string; reason: string; recordedRegionName: string; createdAt: string; until: string | null; status: string }[];
  };
}

export interface ProvinceFlowFigure {
  provinceCode: string;
  provinceName: string;
  count: number;
  capturedFen: number;
  /** The other party is in another province. */
  crossProvince: boolean;
}

export interface FacilityFigure {
  rank: number;
  facilityName: string;
  providerName: string;
  provinceName: string;
  unit: string;
  uses: number;
  quantity: number;
  feeFen: number;
  subsidyFen: number;
}
