// ESLint: typescript-eslint's strict, type-checked rules over all TypeScript (sources, tests, bench).
// Formatting is Prettier's (`npm run format:check`), so no stylistic rules here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // The JavaScript files are tools' configs (this one, dependency-cruiser's), outside the TypeScript project.
  { ignores: ['dist/', 'node_modules/', 'examples/', '**/build/', '**/target/', '.harness/', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Counts, sizes and flags are what messages are made of; objects and nullish values stay refused.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // noUncheckedIndexedAccess makes every indexed read optional; `!` marks the reads a length
      // check, a key set or the line above guarantees, which is clearer than a branch that cannot run.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // `(line) => log(line)` is how callbacks are written here; returning void from them is harmless.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true, ignoreVoidOperator: true }],
      // The seams' methods (Source.open, Transport.prepare, close...) are async so that a throw
      // reaches the caller as a rejection; an implementation with nothing to await stays async.
      '@typescript-eslint/require-await': 'off',
      // `query<R>(sql): Promise<{ rows: R[] }>` names the row type a statement returns, as pg does.
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
      // `const { matchId: _dropped, ...rest } = x` is how a field is left out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
);
