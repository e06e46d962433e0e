/**
 * Starts the real Ironic twice through the project's script: `noauth` on 6385 (the main one) and
 * `http_basic` on 6386 (for the basic-auth tests, with a bcrypt htpasswd made here). Stops only what
 * this setup started; an Ironic the developer already runs through the script is reused.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import bcrypt from 'bcryptjs';
import type { TestProject } from 'vitest/node';

const root = resolve(import.meta.dirname, '../..');
const script = join(root, 'scripts/ironic-standalone.sh');

export const BASIC_USER = 'inspector';
/** Where the Ironic on 6387 expects the inspector API. */
export const INSPECTOR_TEST_PORT = 5057;
export const BASIC_PASSWORD = 'correct horse battery staple';

declare module 'vitest' {
  export interface ProvidedContext {
    ironicUrl: string;
    ironicBasicUrl: string;
    ironicBasicCredentials: { username: string; password: string };
    ironicWithInspectorUrl: string;
    inspectorTestPort: number;
  }
}

interface Instance {
  readonly port: number;
  readonly env: Record<string, string>;
  started: boolean;
}

function run(action: 'start' | 'stop' | 'status', instance: Instance): boolean {
  try {
    execFileSync(script, [action], {
      env: { ...process.env, IRONIC_PORT: String(instance.port), ...instance.env },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    return true;
  } catch (err) {
    if (action === 'status') return false;
    throw err;
  }
}

const instances: Instance[] = [];

export async function setup(project: TestProject): Promise<void> {
  const htpasswdDir = join(root, '.data', 'ironic-htpasswd');
  mkdirSync(htpasswdDir, { recursive: true });
  const htpasswd = join(htpasswdDir, 'htpasswd');
  // bcryptjs writes the $2b$ hashes Ironic's htpasswd check reads; Python's bcrypt is not there
  // until Ironic's packages are installed, which happens later in this setup.
  const hash = bcrypt.hashSync(BASIC_PASSWORD, 4);
  writeFileSync(htpasswd, `${BASIC_USER}:${hash}\n`);

  instances.push({ port: 6385, env: {}, started: false });
  instances.push({
    port: 6386,
    env: { IRONIC_AUTH: 'http_basic', IRONIC_HTPASSWD: htpasswd },
    started: false,
  });
  // Ironic whose `inspector` inspect interface calls the stack the end-to-end test runs on 5057.
  instances.push({
    port: 6387,
    env: { INSPECTOR_URL: `http://127.0.0.1:${INSPECTOR_TEST_PORT}` },
    started: false,
  });
  for (const instance of instances) {
    // An Ironic already answering on the port (this script's from another checkout, or the
    // developer's) is reused and left running.
    const answering = await fetch(`http://127.0.0.1:${instance.port}/`, { signal: AbortSignal.timeout(2000) })
      .then((r) => r.ok)
      .catch(() => false);
    if (answering) {
      console.error(`ironic-setup: reusing the Ironic already answering on port ${instance.port}`);
      continue;
    }
    run('start', instance);
    instance.started = true;
  }
  project.provide('ironicUrl', 'http://127.0.0.1:6385');
  project.provide('ironicBasicUrl', 'http://127.0.0.1:6386');
  project.provide('ironicBasicCredentials', { username: BASIC_USER, password: BASIC_PASSWORD });
  project.provide('ironicWithInspectorUrl', 'http://127.0.0.1:6387');
  project.provide('inspectorTestPort', INSPECTOR_TEST_PORT);
}

export async function teardown(): Promise<void> {
  for (const instance of instances) if (instance.started) run('stop', instance);
}
