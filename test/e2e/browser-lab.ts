/**
 * End-to-end lab: `idlewatch serve` as a direct child process (so the pid we kill is the
 * server's), and Debian's Chromium through playwright-core. Runs inside the test namespace,
 * so the page sees exactly the connections the test opens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

const CLI = fileURLToPath(new URL('../../main/cli/idlewatch.mjs', import.meta.url));
export const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));

export interface Served {
  /** The URL as printed: the token is in its fragment (`#token=…`). */
  url: string;
  origin: string;
  token: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface ServeOptions {
  pollIntervalMs?: number;
  /** More options for `idlewatch serve`, e.g. `['--allow-apply']`. */
  args?: readonly string[];
  /** Idle-timeout rules in force from the start (the preferences file's `rules`). */
  rules?: readonly unknown[];
  /** Run as this unprivileged user (through setpriv) instead of as the test's own (root). */
  asUid?: number;
  /** Another `idlewatch` launcher and the Node that runs it (a packaged layout's); default this checkout's, on this Node. */
  launcher?: { node: string; cli: string };
}

/** Starts browser mode on a free port with the given poll interval, and waits for its URL. */
export async function serve({ pollIntervalMs = 2000, args = [], rules = [], asUid, launcher }: ServeOptions = {}): Promise<Served> {
  const config = mkdtempSync(join(tmpdir(), 'idlewatch-e2e-config-'));
  mkdirSync(join(config, 'idlewatch'));
  writeFileSync(join(config, 'idlewatch/preferences.json'), JSON.stringify({ pollIntervalMs, rules }));
  const command = [launcher?.node ?? process.execPath, launcher?.cli ?? CLI, 'serve', '--port', '0', ...args];
  if (asUid !== undefined) {
    // Its configuration is its own, as a user's would be.
    for (const path of [config, join(config, 'idlewatch'), join(config, 'idlewatch/preferences.json')]) chownSync(path, asUid, asUid);
    command.unshift('setpriv', `--reuid=${asUid}`, `--regid=${asUid}`, '--clear-groups');
  }
  const child = spawn(command[0]!, command.slice(1), {
    env: { ...process.env, XDG_CONFIG_HOME: config, ...(asUid !== undefined ? { HOME: config } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL: ${output}`)), 30_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const match = /serving on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`serve exited (${code}): ${output}`)));
  });
  const token = new URLSearchParams(new URL(url).hash.slice(1)).get('token');
  if (!token) throw new Error(`serve printed a URL without a token: ${url}`);
  return {
    url,
    origin: new URL(url).origin,
    token,
    process: child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return join(SCREENSHOTS, `${name}.png`);
}
