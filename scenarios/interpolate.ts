import { HarnessError } from '../core/errors.ts';

/**
 * `${VAR}` and `${VAR:-default}` in scenario text, replaced before parsing so that line numbers in
 * error messages still point at the user's file. `$${` escapes a literal `${`.
 */
const pattern = /\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function interpolate(text: string, env: NodeJS.ProcessEnv, file: string): string {
  const lines = text.split('\n');
  return lines
    .map((line, i) =>
      line.replace(pattern, (whole, escaped: string | undefined, name: string, fallback: string | undefined) => {
        if (escaped) return whole.slice(1);
        const value = env[name];
        if (value !== undefined && value !== '') return value;
        if (fallback !== undefined) return fallback;
        throw new HarnessError('scenario', `${file}:${i + 1}: environment variable ${name} is not set and has no default (write \${${name}:-value})`);
      }),
    )
    .join('\n');
}
