#!/usr/bin/env node
// Entry point of the views bench: loads Backstage's TypeScript transform
// (the same one the sandbox CLI uses), then runs the TypeScript module.
require('@backstage/cli-node/config/nodeTransform.cjs');

require('./run')
  .main(process.argv.slice(2))
  .then(
    code => {
      process.exitCode = code;
    },
    error => {
      console.error(error);
      process.exitCode = 1;
    },
  );
