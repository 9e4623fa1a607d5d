import { IANAZone, Zone, ZoneOffsetFormat, ZoneOffsetOptions } from 'luxon';

const HOUR_MS = 3_600_000;
/** Asia/Shanghai's last change of offset was in September 1991; every one since 1901 fell on a whole UTC hour. */
const SETTLED_SINCE_MS = Date.UTC(1992, 0, 1);
/** Hours remembered before the memory starts over: two years of distinct hours, a few MB at most. */
const MAX_REMEMBERED = 20_000;

/**
 * Asia/Shanghai as Luxon reads it from the zone database, its offset remembered per hour. Luxon asks the zone for its
 * offset on every DateTime it makes or moves, and an IANA zone answers each time through Intl's formatToParts: a
 * measured 12 % of the CPU of an availability request and a share of every booking. Offsets change only at the top of
 * a UTC hour for this zone (see SETTLED_SINCE_MS), so the offset of any instant in an hour is that of the hour's start;
 * instants before 1992 are read from the zone database every time. Only a cache: the answer is the zone database's.
 */
export class RememberedZone extends Zone {
  private readonly offsets = new Map<number, number>();

  constructor(private readonly zone: IANAZone) {
    super();
    if (!zone.isValid) throw new Error(`unknown time zone ${zone.name}`);
  }

  override get type(): string {
    return this.zone.type;
  }
  override get name(): string {
    return this.zone.name;
  }
  // Luxon reads it (for `toISO({ extendedZone })`), its typings do not declare it.
  get ianaName(): string {
    return this.zone.name;
  }
  override get isUniversal(): boolean {
    return this.zone.isUniversal;
  }
  override get isValid(): true {
    return true;
  }
  override offsetName(ts: number, options: ZoneOffsetOptions): string {
    return this.zone.offsetName(ts, options)!;
  }
  override formatOffset(ts: number, format: ZoneOffsetFormat): string {
    return this.zone.formatOffset(ts, format);
  }
  override equals(other: Zone): boolean {
    // An IANA zone equals any zone of type 'iana' and the same name: this one, the plain one, another remembered one.
    return this.zone.equals(other);
  }

  override offset(ts: number): number {
    if (!(ts >= SETTLED_SINCE_MS)) return this.zone.offset(ts);
    const hour = Math.floor(ts / HOUR_MS);
    let offset = this.offsets.get(hour);
    if (offset === undefined) {
      if (this.offsets.size >= MAX_REMEMBERED) this.offsets.clear();
      offset = this.zone.offset(hour * HOUR_MS);
      this.offsets.set(hour, offset);
    }
    return offset;
  }
}
