/** The password of every organization user the tests, the simulation and the bench register. */
export const PASSWORD = 'Correct-Horse-2026';
/** The seeded staff users' password: createDatabase puts it in the service's environment as DEMO_PASSWORD. */
export const DEMO_PASSWORD = 'demo-pass-2026';
export const BUREAU_OF_PROVINCE: Record<string, string> = { '31': 'bureau-sh', '32': 'bureau-js', '33': 'bureau-zj', '34': 'bureau-ah' };
/** The bureau that acts for a region: the bureau of its province. */
export const bureauFor = (region: string): string => BUREAU_OF_PROVINCE[region.slice(0, 2)];
/** The province bureau's second reviewer (seeded, not an admin): the other half of maker-checker (双人复核). */
export const secondReviewerFor = (region: string): string => `${bureauFor(region)}-2`;
export const STAFF = ['bureau-sh', 'bureau-js', 'bureau-zj', 'bureau-ah', 'platform'] as const;
/** The seeded second reviewer of each province, for maker-checker. */
export const SECOND_REVIEWERS = ['bureau-sh-2', 'bureau-js-2', 'bureau-zj-2', 'bureau-ah-2'] as const;
