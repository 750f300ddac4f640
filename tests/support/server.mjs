// What the two Node.js suites (e2e/ and tests/compat/) share: a free loopback
// port, the coffee-shop binary started against a loopback identity provider,
// and a wait until it answers. Plain Node.js with no packages, so that both
// npm projects import it by relative path.

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A port on 127.0.0.1 that nothing listens on right now. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

/** Resolves once `url` answers 200; rejects when `timeoutMs` has passed first. */
export async function waitUntilReady(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

/**
 * Starts `binary args…` in `workDir`, bound to 127.0.0.1:`port`, with its
 * database in `workDir` and bearer tokens for `audience` from the provider at
 * `issuer`. The environment holds only PATH, these settings and `env`, so the
 * developer's own COFFEE_SHOP__* variables never leak in. stderr is shown;
 * `stdout` is 'inherit' or 'ignore'. Returns the child process and a promise
 * of its `{ code, signal }`.
 */
export function spawnServer(binary, { args = [], workDir, port, issuer, audience, stdout = 'inherit', env = {} }) {
  const child = spawn(binary, args, {
    cwd: workDir,
    stdio: ['ignore', stdout, 'inherit'],
    env: {
      PATH: process.env.PATH,
      RUST_LOG: 'warn',
      COFFEE_SHOP__SERVER__BIND: `127.0.0.1:${port}`,
      COFFEE_SHOP__DATABASE__PATH: join(workDir, 'coffee-shop.db'),
      COFFEE_SHOP__AUTH__ISSUER: issuer,
      COFFEE_SHOP__AUTH__JWKS_URL: `${issuer}/jwks`,
      COFFEE_SHOP__AUTH__AUDIENCE: audience,
      // scripts/compat.sh's PostgreSQL pass points the server at its cluster.
      ...(process.env.COFFEE_SHOP__DATABASE__URL
        ? { COFFEE_SHOP__DATABASE__URL: process.env.COFFEE_SHOP__DATABASE__URL }
        : {}),
      ...env,
    },
  });
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return { child, exited };
}
