#!/usr/bin/env node
// Entry point of every bench (bench/run <name>): loads Backstage's TypeScript
// transform (the same one the sandbox CLI uses), then runs bench/<name>/run.ts.
require('@backstage/cli-node/config/nodeTransform.cjs');

const [name, ...args] = process.argv.slice(2);
require(`./${name}/run`)
  .main(args)
  .then(
    code => {
      process.exitCode = code;
    },
    error => {
      console.error(error);
      process.exitCode = 1;
    },
  );
