// Preloaded into the portal backend by bench/lib/backend.ts (for bench/views)
// (`backstage-cli package start --require=<this file>`): appends one line per
// outgoing HTTP request to $TENANCY_BENCH_REQUEST_LOG, so the bench can count
// the kube requests of each side without touching either plugin.
//
//   <epoch ms> <client> <method> <origin> <path>
//
// client `http`: node's http/https modules — Backstage's Kubernetes backend
// (node-fetch). client `undici`: undici — Tenancy (@kubernetes/client-node
// 2.x) and node's own fetch. Both are read from node's diagnostics channels,
// which fire when a request starts, also when the server never answers.
'use strict';

const file = process.env.TENANCY_BENCH_REQUEST_LOG;
if (file) {
  const dc = require('node:diagnostics_channel');
  const fs = require('node:fs');
  const fd = fs.openSync(file, 'a');
  const write = (client, method, origin, path) => {
    try {
      fs.writeSync(fd, `${Date.now()} ${client} ${method} ${origin} ${path}\n`);
    } catch {
      // never disturb the backend
    }
  };
  dc.subscribe('undici:request:create', ({ request }) => {
    write('undici', request.method, String(request.origin), request.path);
  });
  dc.subscribe('http.client.request.start', ({ request }) => {
    write(
      'http',
      request.method,
      `${request.protocol}//${request.getHeader('host')}`,
      request.path,
    );
  });
}
