#!/usr/bin/env node
// The CLI is compiled by `npm ci` / `npm install` (the `prepare` script), so users never run a build by hand.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('../dist/functions/cli/main.js')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
