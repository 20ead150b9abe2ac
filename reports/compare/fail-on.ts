/*
 * The --fail-on grammar: which figures regress, and by how much.
 *
 *   rules  := rule ( "," rule )*
 *   rule   := figure "=" sign number "%"
 *   figure := part ( "." part )*        a figure name, or a prefix of its dot-separated parts
 *   sign   := "+"                       a rise beyond the tolerance regresses (lower is better)
 *           | "-"                       a fall beyond the tolerance regresses (higher is better)
 *   number := a decimal, 0 or more      the tolerance, in percent of the baseline
 *
 * Spaces around the tokens are ignored. Examples:
 *
 *   latency.p99=+10%                    both p99s (latency.p99.corrected, latency.p99.measured) may rise 10%
 *   throughput=-5%                      every throughput figure (produced, ingested, endToEnd) may fall 5%
 *   stage.ingested.2=-10%               the ingested rate of stage 2 only
 *   findMax=-10%, wallTime=+25%
 *
 * When several rules name a figure, the longest (most specific) wins: `latency=+20%,latency.p99=+10%`
 * gives p99 10% and the other percentiles 20%. Figure names are listed by `harness compare --help`
 * (figureFamilies in figures.ts). Every error quotes the input and the rule at fault.
 */
import { HarnessError } from '../../core/errors.ts';
import { figureFamilies, prefixOfPattern, type Direction } from './figures.ts';

export interface FailOnRule {
  /** As written: a figure name or a prefix of its parts. */
  figure: string;
  direction: Direction;
  /** 0.1 = 10%. */
  tolerance: number;
}

const RULE = /^([A-Za-z0-9.]+)=([+-])(\d+(?:\.\d+)?)%$/;

export function parseFailOn(input: string): FailOnRule[] {
  const fail = (message: string) => new HarnessError('usage', `--fail-on "${input}": ${message}`);
  const rules: FailOnRule[] = [];
  for (const written of input.split(',')) {
    const text = written.replace(/\s+/g, '');
    if (text === '') throw fail('an empty rule; write rules like latency.p99=+10%,throughput=-5%');
    const match = RULE.exec(text);
    if (!match) {
      const [figure, tolerance] = text.split('=');
      const hint =
        tolerance === undefined
          ? 'expected <figure>=<+|-><percent>%'
          : /^\d/.test(tolerance)
            ? `the tolerance needs a sign: +${tolerance} (a rise regresses) or -${tolerance} (a fall regresses)`
            : `expected a tolerance like +10% or -5% after ${figure}=`;
      throw fail(`"${written.trim()}": ${hint}`);
    }
    const [, figure = '', sign, percent = ''] = match;
    if (!figureFamilies.some((f) => prefixOfPattern(figure, f.pattern))) {
      throw fail(`"${written.trim()}": no figure is named ${figure}; figures: ${figureFamilies.map((f) => f.pattern.replace('#', '<stage>')).join(', ')}`);
    }
    if (rules.some((r) => r.figure === figure)) throw fail(`${figure} has two rules; keep one`);
    rules.push({ figure, direction: sign === '+' ? 'lower-is-better' : 'higher-is-better', tolerance: Number(percent) / 100 });
  }
  return rules;
}

/** Whether a rule names a figure: its whole name, or a prefix of its dot-separated parts. */
function names(rule: FailOnRule, figure: string): boolean {
  return rule.figure === figure || figure.startsWith(`${rule.figure}.`);
}

/** The rule for a figure: the longest that names it; null when none does. */
export function ruleFor(rules: readonly FailOnRule[], figure: string): FailOnRule | null {
  return rules.filter((r) => names(r, figure)).reduce<FailOnRule | null>((best, r) => (best === null || r.figure.length > best.figure.length ? r : best), null);
}

/** Rules that name no figure of these reports (e.g. findMax given run reports): a gate that can never fire, worth a warning. */
export function unmatchedRules(rules: readonly FailOnRule[], figures: readonly { name: string }[]): FailOnRule[] {
  return rules.filter((r) => !figures.some((f) => names(r, f.name)));
}
