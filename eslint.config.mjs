// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { readdirSync } from 'node:fs';

/**
 * Module boundaries: a module's repositories and entities are its own. Another module asks for what it needs through
 * the owner's service or a port it defines itself (e.g. memory's AGENT_REGISTRATIONS), never by importing them.
 * Every folder directly under src/ is a module; the rule is built per module so "another" can be told apart.
 */
const modules = readdirSync(new URL('./src', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

/**
 * Modules with a closed surface: from outside, only these files (the module, its exported service, its public
 * types) may be imported; everything else in the folder is its inside (style guide 3, issue 12). Not listed yet,
 * because other modules import more of them: agents (auth guards, principal), brain (access policy, DTOs,
 * openapi), memory (memory-record, archive-records, agent-registrations), metrics (guard, snapshot), dashboard.
 */
const publicFiles = {
  'context-sync': ['context-sync.module', 'context-sync.service', 'context-message'],
  health: ['health.module', 'readiness.service'],
  mcp: ['mcp.module'],
  'example-agent': ['example-agent.module'],
};
const closedSurfaces = (module) =>
  Object.entries(publicFiles)
    .filter(([owner]) => owner !== module)
    .map(([owner, files]) => ({
      regex: `^(\\.\\.?/)+${owner}/(?!(${files.join('|').replaceAll('.', '\\.')})$)`,
      message: `the inside of ${owner}: import only ${files.join(', ')} (its service API and public types)`,
    }));

const boundaries = modules.map((module) => {
  const others = modules.filter((other) => other !== module).join('|');
  const into = `^(\\.\\./)+(${others})/(.*/)?`;
  return {
    files: [`src/${module}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...closedSurfaces(module),
            {
              regex: `${into}[^/]*\\.repository$`,
              message: "another module's repository: use its service, or a port this module defines",
            },
            {
              regex: `${into}entities(/|$)`,
              message: "another module's entities: use its service's types, or a port this module defines",
            },
          ],
        },
      ],
    },
  };
});

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'eslint.config.mjs',
      'client/dist/**',
      'client/src/generated/**',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A dropped promise on a message bus is a dropped message or an unhandled rejection.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/require-await': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Redis replies and JSON payloads are untyped by nature; they are narrowed where they are parsed.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-extraneous-class': 'off',
    },
  },
  {
    files: ['test/**/*.ts', '**/*.spec.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
  {
    // A file a newcomer can read in one sitting (issue 12).
    files: ['src/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 350 }] },
  },
  ...boundaries,
  {
    // The composition root (main.ts, app.module.ts, workers.ts) wires modules and reaches no further either.
    files: ['src/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: closedSurfaces('(root)') }] },
  },
);
