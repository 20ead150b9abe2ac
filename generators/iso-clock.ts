/**
 * ISO 8601 timestamps for increasing millisecond times: the date part is formatted once per
 * second and reused, since consecutive records almost always share it.
 */
export class IsoClock {
  private second = Number.NaN;
  private prefix = '';

  format(ms: number): string {
    const second = Math.floor(ms / 1000);
    if (second !== this.second) {
      this.second = second;
      this.prefix = new Date(second * 1000).toISOString().slice(0, 20);
    }
    return this.prefix + (MILLIS[ms - second * 1000] as string);
  }
}

/** "000Z" .. "999Z". */
const MILLIS = Array.from({ length: 1000 }, (_, m) => `${String(m).padStart(3, '0')}Z`);
