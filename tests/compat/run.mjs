// Runs the Udacity "Coffee Shop" Postman collection, unmodified in its requests
// and tests, against a coffee-shop binary on a fresh database, with tokens from
// a real OpenID Connect provider on loopback (oauth2-mock-server).
//
// usage: node run.mjs <path/to/coffee-shop> [collection.json]
// Only the expired bearer tokens and the `host` variable are replaced.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import newman from 'newman';
import { OAuth2Server } from 'oauth2-mock-server';

import { freePort, spawnServer, waitUntilReady } from '../support/server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const binary = resolve(process.argv[2] ?? join(here, '../../target/release/coffee-shop'));
const collectionPath = resolve(
  process.argv[3] ?? join(here, '../../../shared/compat/udacity-fsnd-udaspicelatte.postman_collection.json'),
);
const AUDIENCE = 'bar';
const ROLES = {
  barista: ['get:drinks-detail'],
  manager: ['get:drinks-detail', 'post:drinks', 'patch:drinks', 'delete:drinks'],
};

/** Puts each folder's role token wherever the collection had a bearer token. */
function replaceTokens(collection, tokens) {
  let replaced = 0;
  const visit = (item, role) => {
    for (const entry of item.auth?.bearer ?? []) {
      if (entry.key === 'token') {
        if (!tokens[role]) throw new Error(`a bearer token outside a role folder: ${item.name}`);
        entry.value = tokens[role];
        replaced += 1;
      }
    }
    for (const child of item.item ?? []) visit(child, role);
    if (item.request) visit(item.request, role);
  };
  for (const folder of collection.item) visit(folder, folder.name);
  return replaced;
}

function runNewman(options) {
  return new Promise((resolveRun, reject) => {
    newman.run(options, (error, summary) => (error ? reject(error) : resolveRun(summary)));
  });
}

const provider = new OAuth2Server();
await provider.issuer.keys.generate('RS256');
await provider.start(await freePort(), '127.0.0.1');
const issuer = provider.issuer.url;

const tokens = {};
for (const [role, permissions] of Object.entries(ROLES)) {
  tokens[role] = await provider.issuer.buildToken({
    expiresIn: 3600,
    scopesOrTransform: (_header, payload) => {
      payload.aud = [AUDIENCE, `${issuer}/userinfo`];
      payload.sub = `compat|${role}`;
      payload.permissions = permissions;
    },
  });
}

const workDir = mkdtempSync(join(tmpdir(), 'coffee-shop-compat-'));
const port = await freePort();
const { child: server, exited } = spawnServer(binary, { workDir, port, issuer, audience: AUDIENCE });

let failed = true;
try {
  await waitUntilReady(`http://127.0.0.1:${port}/readyz`, 20_000);
  const collection = JSON.parse(readFileSync(collectionPath, 'utf8'));
  const replaced = replaceTokens(collection, tokens);
  if (replaced === 0) throw new Error('the collection had no bearer token to replace');

  const summary = await runNewman({
    collection,
    envVar: [{ key: 'host', value: `127.0.0.1:${port}` }],
    reporters: ['cli'],
  });
  const { assertions, requests } = summary.run.stats;
  const failures = summary.run.failures.length;
  console.log(`compat: ${requests.total} requests, ${replaced} tokens replaced`);
  console.log(`compat: ${assertions.total - assertions.failed} passed, ${assertions.failed} failed`);
  failed = failures > 0 || assertions.failed > 0 || assertions.total === 0;
} finally {
  server.kill('SIGTERM');
  const { code, signal } = await exited;
  await provider.stop();
  rmSync(workDir, { recursive: true, force: true });
  if (code !== 0) {
    console.error(`compat: the server exited with ${code ?? signal} after SIGTERM`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
