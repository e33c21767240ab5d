import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, libFuzzerWorks, NATIVE_DIR, recordedDump, SANITIZE, SANITIZER_ENV, SANITIZER_REPORT, SOCKDIAG_DIR, runMutationFuzzer, WARN } from '../../../native/compile';

/**
 * Fuzzes nl_batch_parse (test/native/netlink-batch-fuzz.c) under AddressSanitizer and
 * UndefinedBehaviorSanitizer, seeded with the buffers of a recorded kernel dump. A read past a
 * buffer, an overflow, a leak or a broken promise of the parser aborts the run and fails here.
 * Bounded in runs and seconds so that it belongs in the unit suite.
 */

const RUNS = 200_000;
const MAX_SECONDS = 20;

let dir = '';
let corpus = '';
let seeds: string[] = [];
let libFuzzer = false;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'idlewatch-netlink-fuzz-'));
  corpus = join(dir, 'corpus');
  mkdirSync(corpus);
  // Each seed: the sequence and port id the buffer answers, then the buffer.
  seeds = recordedDump().map((b, i) => {
    const head = Buffer.alloc(8);
    head.writeUInt32LE(b.seq, 0);
    head.writeUInt32LE(b.portid, 4);
    const path = join(corpus, `recorded-${i}`);
    writeFileSync(path, Buffer.concat([head, b.bytes]));
    return path;
  });
  libFuzzer = libFuzzerWorks(dir);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const target = [join(NATIVE_DIR, 'netlink-batch-fuzz.c'), join(SOCKDIAG_DIR, 'netlink-batch.c')];

function expectClean(r: ReturnType<typeof spawnSync>): void {
  const output = `${r.stdout}${r.stderr}`;
  expect(output).not.toMatch(SANITIZER_REPORT);
  expect(output).not.toMatch(/deadly signal|==\d+== ?ERROR/);
  expect(r.status, output.slice(-4000)).toBe(0);
}

describe('fuzzing nl_batch_parse', () => {
  it(`survives ${RUNS} deterministic mutants of the recorded dump`, () => {
    const { built, run: r } = runMutationFuzzer(join(dir, 'fuzz-mutate'), target, seeds, RUNS, MAX_SECONDS);
    expect(built.ok, built.output).toBe(true);
    expectClean(r!);
    expect(String(r!.stdout)).toMatch(/^done \d+ runs$/m);
  }, 60_000);

  it(`survives libFuzzer for ${RUNS} runs or ${MAX_SECONDS} s (when clang has libFuzzer)`, (ctx) => {
    if (!libFuzzer) ctx.skip('clang cannot link -fsanitize=fuzzer here (Debian: apt-get install libclang-rt-14-dev)');
    const binary = join(dir, 'fuzz-libfuzzer');
    const built = compile('clang', binary, target, ['-fsanitize=fuzzer', ...SANITIZE, ...WARN]);
    expect(built.ok, built.output).toBe(true);
    const r = spawnSync(
      binary,
      [`-runs=${RUNS}`, `-max_total_time=${MAX_SECONDS}`, '-seed=1', `-artifact_prefix=${dir}/`, '-print_final_stats=1', corpus],
      { encoding: 'utf8', env: { ...process.env, ...SANITIZER_ENV }, timeout: (MAX_SECONDS + 30) * 1000 },
    );
    expectClean(r);
    expect(readdirSync(dir).filter((f) => /^(crash|leak|timeout|oom)-/.test(f))).toEqual([]);
  }, 60_000);
});
