/** Durations in scenarios read like "250ms", "2s", "1.5m", "1h"; a bare number is milliseconds. */
const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const pattern = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/;

export function parseDuration(text: string | number): number | null {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text : null;
  const match = pattern.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * (units[match[2] ?? 'ms'] as number);
}
