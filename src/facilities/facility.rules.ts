/**
 * Whether a provider with `live` facilities may list `adding` more under a cap of `max` (MAX_FACILITIES_PER_PROVIDER).
 * Adding nothing is always allowed, so an import that only updates still runs for a lab above a cap lowered since.
 */
export const withinFacilityCap = (live: number, adding: number, max: number): boolean => adding <= 0 || live + adding <= max;

/** A free text as stored: trimmed, and none when nothing is left. */
export const blankToNull = (text: string | null | undefined): string | null => (text?.trim() ? text.trim() : null);
