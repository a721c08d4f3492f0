// ESLint for the page's own modules (Classifier/js), run by tests/test_lint.py from the repository root:
//   tests/node_modules/.bin/eslint --config tests/eslint.config.mjs Classifier/js
// It lives here, beside the npm packages it loads, so that the top level keeps only what users run.
import js from "@eslint/js";
import stylistic from "@stylistic/eslint-plugin";
import globals from "globals";

export default [
  {
    files: ["Classifier/js/**/*.js"],
    languageOptions: {
      ecmaVersion: "latest",
      sourceType: "module",
      // training_worker.js runs in a worker, the rest in the page: both sets, so that one config covers every module
      globals: { ...globals.browser, ...globals.worker },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    plugins: { "@stylistic": stylistic },
    rules: {
      ...js.configs.recommended.rules,
      "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
      "@stylistic/indent": ["error", 2, { SwitchCase: 1 }],
      "@stylistic/quotes": ["error", "double", { avoidEscape: true }],
      "@stylistic/semi": ["error", "always"],
      "@stylistic/list-style": "error",
      "@stylistic/max-len": ["error", { code: 150 }],
      "@stylistic/comma-spacing": "error",
      "@stylistic/comma-dangle": ["error", "always-multiline"],
      "@stylistic/key-spacing": "error",
      "@stylistic/keyword-spacing": "error",
      "@stylistic/space-before-blocks": "error",
      "@stylistic/space-infix-ops": "error",
      "@stylistic/arrow-spacing": "error",
      "@stylistic/arrow-parens": ["error", "always"],
      "@stylistic/semi-spacing": "error",
      "@stylistic/no-trailing-spaces": "error",
      "@stylistic/no-multiple-empty-lines": ["error", { max: 2, maxEOF: 0 }],
      "@stylistic/eol-last": "error",
    },
  },
];
