/**
 * The one dispatcher behind every transport (STYLE.md point 15). Electron IPC and the WebSocket
 * of browser mode hand it a method name and raw arguments as they arrived; it checks the name,
 * the caller's right to the method's capability, and the arguments against the contract, then
 * runs the core. The outcome is always a Result, so error codes survive every transport.
 * Transport-specific checks (the IPC sender frame, the WebSocket's token) happen before.
 */
import { METHOD_CAPABILITIES, isMethodName, type Capability, type MethodName } from '../../shared/api/channels';
import { parseArgs, type IdlewatchApi } from '../../shared/api/contract';
import { ApiFailure, toResult, type Result } from '../../shared/api/result';

/** What one transport lets its callers do. */
export interface TransportPolicy {
  /** Named in refusals: "browser mode". */
  name: string;
  allows: ReadonlySet<Capability>;
  /** Said when a privileged method is refused, e.g. how to allow it. */
  privilegedHint?: string;
}

/** The desktop window: its user is the administrator at the keyboard; privileged calls still go through elevation. */
export const DESKTOP_POLICY: TransportPolicy = { name: 'the desktop app', allows: new Set(['read', 'control', 'privileged']) };

/**
 * Browser mode: anyone holding the token can read and steer polling, but changing the system's
 * settings needs `idlewatch serve --allow-apply` (DESIGN.md "Security model").
 */
export function browserPolicy(options: { allowApply: boolean }): TransportPolicy {
  return {
    name: 'browser mode',
    allows: new Set(options.allowApply ? ['read', 'control', 'privileged'] : ['read', 'control']),
    privilegedHint: 'start `idlewatch serve --allow-apply` to allow it',
  };
}

export type Dispatch = (method: unknown, args: unknown) => Promise<Result<unknown>>;

/**
 * Binds the core's API to one transport's policy. `capabilities` is the contract's table; tests
 * pass another to prove a policy against a method of each kind.
 */
export function createDispatcher(
  api: IdlewatchApi,
  policy: TransportPolicy,
  capabilities: Record<MethodName, Capability> = METHOD_CAPABILITIES,
): Dispatch {
  return (method, args) =>
    toResult(async () => {
      if (!isMethodName(method)) {
        throw new ApiFailure('bad-request', `unknown method "${String(method).slice(0, 64)}"`);
      }
      const capability = capabilities[method];
      if (!policy.allows.has(capability)) {
        const hint = capability === 'privileged' && policy.privilegedHint ? `: ${policy.privilegedHint}` : '';
        throw new ApiFailure('forbidden', `${method} needs the ${capability} capability, which ${policy.name} does not grant${hint}`);
      }
      const parsed = parseArgs(method, args);
      return callMethod(api, method, parsed as unknown[]);
    });
}

/** parseArgs has checked `args` against this very method's tuple schema. */
function callMethod(api: IdlewatchApi, method: MethodName, args: unknown[]): Promise<unknown> {
  return (api[method] as (...values: unknown[]) => Promise<unknown>)(...args);
}
