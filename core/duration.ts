/**
 * Durations in scenarios read like "250ms", "2s", "1.5m", "1h", or k6's compound "1m30s"; a bare
 * number is milliseconds.
 */
const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const whole = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$|^\d+(?:\.\d+)?$/;
const part = /(\d+(?:\.\d+)?)(ms|s|m|h)?/g;

export function parseDuration(text: string | number): number | null {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text : null;
  const compact = text.trim().replace(/\s+/g, '');
  if (!whole.test(compact)) return null;
  let ms = 0;
  for (const match of compact.matchAll(part)) ms += Number(match[1]) * (units[match[2] ?? 'ms'] as number);
  return ms;
}
