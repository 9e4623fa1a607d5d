/**
 * The service's notion of "now". Instants are ISO 8601 UTC strings and dates YYYY-MM-DD, so they
 * compare as text on every database. Tests move time forward with `travel`; production never does.
 */
let offsetMs = 0;

export const clock = {
  now: (): Date => new Date(Date.now() + offsetMs),
  iso: (): string => clock.now().toISOString(),
  today: (): string => clock.iso().slice(0, 10),
  year: (): number => clock.now().getUTCFullYear(),
  travel(ms: number): void {
    offsetMs += ms;
  },
  reset(): void {
    offsetMs = 0;
  },
};

export const DAY_MS = 86_400_000;
export const isoPlusDays = (iso: string, days: number): string => new Date(Date.parse(iso) + days * DAY_MS).toISOString();
