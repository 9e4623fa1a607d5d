// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // client/schema.d.ts is openapi-typescript's output (npm run client), kept as generated; client/index.ts is linted.
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', 'bench/results/**', 'eslint.config.mjs', 'client/schema.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Nest's decorators, TypeORM rows and JSON bodies are loosely typed at the edges; these rules would only add casts there.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
    },
  },
  {
    // Only the persistence layer reaches the database: services and use cases go through repositories, which own every
    // SQL statement (docs/adr/0001-persistence.md).
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.repository.ts', 'src/**/*.time-rules.ts', 'src/common/persistence/**', 'src/database/**', 'src/app.module.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'typeorm',
              importNames: ['DataSource', 'EntityManager', 'QueryRunner', 'Repository', 'SelectQueryBuilder'],
              message: 'only repositories and the persistence layer reach the database',
            },
            { name: '@nestjs/typeorm', message: 'only the persistence layer reaches the database' },
          ],
          patterns: [
            {
              group: ['**/common/persistence/database', '**/common/persistence/sql', '**/common/persistence/scope.sql'],
              message: 'only repositories (and the time rules beside them) build SQL or hold the database',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
    },
  },
  // The supervising primary loads the Nest application lazily, only where it runs.
  { files: ['src/main.ts'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
