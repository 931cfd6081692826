// ESLint for the addon's JavaScript: the browser code in static/src and its Hoot tests and
// tours in static/tests. Odoo's asset bundler serves these files as ES modules as written.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import globals from "globals";

export default [
    {
        ignores: ["node_modules/", ".venv/", ".run/", "bench/out/"],
    },
    js.configs.recommended,
    // Turns off the rules that would fight the layout Prettier writes; before ours, which
    // only add rules that agree with it (curly "all" does, so it is switched back on).
    prettier,
    {
        files: ["static/**/*.js"],
        languageOptions: {
            ecmaVersion: 2022,
            sourceType: "module",
            globals: {
                ...globals.browser,
                // Loaded by the web client as globals on every page.
                odoo: "readonly",
                luxon: "readonly",
            },
        },
        rules: {
            // `event` and `self` read as locals but are window properties: a missing
            // parameter would silently pick them up.
            "no-restricted-globals": ["error", "event", "self"],
            "no-duplicate-imports": "error",
            // Owl callbacks and overrides take arguments they may not use; destructuring
            // with a rest element is how a key is left out of a copy.
            "no-unused-vars": [
                "error",
                { args: "none", caughtErrors: "none", ignoreRestSiblings: true },
            ],
            curly: ["error", "all"],
            "prefer-const": ["error", { destructuring: "all" }],
            eqeqeq: ["error", "smart"],
            "no-console": ["error", { allow: ["warn", "error"] }],
        },
    },
    {
        files: ["eslint.config.js"],
        languageOptions: { sourceType: "module", globals: globals.node },
    },
];
