// The dashboards of the serving data (Observable Framework: markdown pages + build-time data loaders).
// `make report` builds them to dist/ from the serving file; `make report-dev` serves them with live reload.
// What must stay true: the built site loads nothing from outside the machine (tests/test_report.py checks it in
// a real browser), so no remote stylesheet (the default theme pulls a web font) and every import is an npm
// package resolved from node_modules at build time.
export default {
  title: "loyalty-warehouse",
  root: "src",
  output: process.env.REPORT_DIST || "dist",
  pages: [
    {name: "CRM", path: "/crm"},
    {name: "Marketing", path: "/marketing"},
    {name: "Supply quality", path: "/supply"}
  ],
  // The repo's venv runs the loaders (duckdb 2.0 reads the serving file); make report puts it first on PATH.
  interpreters: {".py": [process.env.REPORT_PYTHON || "python3"]},
  globalStylesheets: [],
  // no favicon request (the browser test fails on any 404)
  head: '<link rel="icon" href="data:,">',
  style: "style.css",
  search: false,
  footer: "loyalty-warehouse dashboards, built from the serving file's marts (see reports/README.md).",
  preserveIndex: true,
  preserveExtension: true
};
