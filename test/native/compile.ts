/**
 * Builds the C test drivers and sanitized helpers that the sockdiag tests run. Each test
 * builds into a temporary directory of its own and removes it afterwards.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const NATIVE_DIR = join(REPO, 'test/native');
export const SOCKDIAG_DIR = join(REPO, 'main/platform/linux/sockdiag');

/** The helper's C files, as build/compile-sockdiag.mjs compiles them. */
export function sockdiagSources(): string[] {
  return readdirSync(SOCKDIAG_DIR)
    .filter((f) => f.endsWith('.c'))
    .sort()
    .map((f) => join(SOCKDIAG_DIR, f));
}

/** AddressSanitizer (with LeakSanitizer) and UndefinedBehaviorSanitizer, every finding fatal. */
export const SANITIZE = ['-g', '-O1', '-fno-omit-frame-pointer', '-fsanitize=address,undefined', '-fno-sanitize-recover=all'];
export const WARN = ['-Wall', '-Wextra', '-Werror'];
export const SANITIZER_ENV = {
  ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:exitcode=86',
  UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
};
/** What a sanitizer prints when it finds something. */
export const SANITIZER_REPORT = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|UndefinedBehaviorSanitizer/;

export interface Compiled {
  ok: boolean;
  output: string;
}

export function compile(compiler: string, out: string, sources: string[], flags: string[], libs: string[] = []): Compiled {
  const r = spawnSync(compiler, [...flags, '-o', out, ...sources, ...libs], { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.error?.message ?? ''}${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Whether this clang links libFuzzer with ASan and UBSan (Debian: libclang-rt-NN-dev). */
export function libFuzzerWorks(dir: string): boolean {
  const probe = join(dir, 'probe.c');
  writeFileSync(probe, '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n');
  return compile('clang', join(dir, 'probe'), [probe], ['-fsanitize=fuzzer,address,undefined']).ok;
}

export interface RecordedBuffer {
  family: 4 | 6;
  seq: number;
  portid: number;
  bytes: Buffer;
}

/** test/fixtures/linux/sockdiag-netlink-dump.hex: one recv()'d buffer per line. */
export function recordedDump(): RecordedBuffer[] {
  const text = readFileSync(join(REPO, 'test/fixtures/linux/sockdiag-netlink-dump.hex'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [family, seq, portid, hex] = line.split(' ');
      return { family: family === '4' ? 4 : 6, seq: Number(seq), portid: Number(portid), bytes: Buffer.from(hex!, 'hex') };
    });
}

export interface FuzzRun {
  built: Compiled;
  /** null when the build failed. */
  run: ReturnType<typeof spawnSync> | null;
}

/**
 * The deterministic mutation fuzzer (fuzz-mutate-main.c) around a libFuzzer-style `target`,
 * built with ASan/UBSan into `binary` and run on `seeds` for `runs` mutants or `maxSeconds`.
 * What the caller asserts: the build succeeded, no sanitizer report, exit 0, "done N runs".
 */
export function runMutationFuzzer(binary: string, target: string[], seeds: string[], runs: number, maxSeconds: number): FuzzRun {
  const built = compile('cc', binary, [join(NATIVE_DIR, 'fuzz-mutate-main.c'), ...target], [...SANITIZE, ...WARN]);
  if (!built.ok) return { built, run: null };
  const run = spawnSync(binary, [`-runs=${runs}`, `-max_total_time=${maxSeconds}`, ...seeds], {
    encoding: 'utf8',
    env: { ...process.env, ...SANITIZER_ENV },
    timeout: (maxSeconds + 30) * 1000,
  });
  return { built, run };
}
