/** What the CLI's profile commands are tested with: a terminal (or not) that records what was printed and asked. */
import type { ApplyCommand } from '../../../main/cli/options';
import type { CliIo } from '../../../main/cli/profiles';

export function fakeIo(interactive: boolean, answer = 'y') {
  const io = {
    stdout: '',
    stderr: '',
    asked: [] as string[],
    interactive,
    out: async (text: string) => void (io.stdout += text),
    err: (text: string) => void (io.stderr += text),
    ask: async (question: string) => (io.asked.push(question), answer),
  };
  return io satisfies CliIo;
}

/** `idlewatch apply server` as parsed, with `over` changed. */
export const apply = (over: Partial<ApplyCommand> = {}): ApplyCommand => ({ command: 'apply', profile: 'server', persist: true, dryRun: false, yes: false, netns: null, ...over });
