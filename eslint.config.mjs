// Flat config: typescript-eslint recommended rules plus the project's own guard rails.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdktf.out/**', '.tools/**', '.gen/**', 'coverage/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // The provider packages' root entry points load every resource class (~4 s, ~550 MiB per process).
      // Import the one resource you use from its deep path instead.
      'no-restricted-imports': [
        'error',
        {
          paths: ['@cdktf/provider-aws', '@cdktf/provider-helm', '@cdktf/provider-kubernetes'].map((name) => ({
            name,
            message: `Import from a deep path (${name}/lib/<resource>), never the package root: the root loads every resource class.`,
          })),
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
);
