import {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { isError } from '@backstage/errors';

/**
 * A scaffolder action as far as {@link runActionOutsideTask} needs it (a
 * `TemplateAction` of `@backstage/plugin-scaffolder-node`).
 * @public
 */
export interface HandlerOnlyAction {
  /** Runs the action with a scaffolder action context. */
  handler(ctx: any): Promise<void>;
}

/** What {@link runActionOutsideTask} answers. @public */
export interface ActionRunOutsideTask {
  /** What the action gave `ctx.output`. */
  outputs: Record<string, unknown>;
  /** What it logged (info, warn and error), as `level: message`. */
  log: string[];
  /** Why it failed, when it failed after setting outputs worth answering. */
  error?: string;
}

/** A logger that also keeps what it was told. */
function recordingLogger(logger: LoggerService, lines: string[]) {
  const record =
    (level: 'info' | 'warn' | 'error' | 'debug') =>
    (message: string, meta?: Error | Record<string, unknown>) => {
      if (level !== 'debug') lines.push(`${level}: ${message}`);
      logger[level](message, meta as any);
    };
  const recording: LoggerService = {
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    debug: record('debug'),
    child: () => recording,
  };
  return recording;
}

/** Errors that are the caller's answer as they are. */
const CALLER_ERRORS = ['InputError', 'NotAllowedError', 'NotFoundError'];

/**
 * Runs one of the suite's scaffolder actions outside a task, for Backstage's
 * actions registry (MCP tools): the very handler a template runs, with its
 * permission checks, input validation and dry run, as `credentials`. There is
 * no task to resume, so a checkpoint just runs its step; use it only for
 * actions whose steps are idempotent, or for dry runs.
 *
 * A refusal or bad input is thrown as it is. When the action fails after
 * setting outputs that `keepOnFailure` says are worth answering (say, a
 * report per cluster), those outputs come back with the error.
 * @public
 */
export async function runActionOutsideTask(
  action: HandlerOnlyAction,
  options: {
    input: Record<string, unknown>;
    credentials: BackstageCredentials;
    logger: LoggerService;
    dryRun: boolean;
    keepOnFailure?: (outputs: Record<string, unknown>) => boolean;
  },
): Promise<ActionRunOutsideTask> {
  const outputs: Record<string, unknown> = {};
  const log: string[] = [];
  try {
    await action.handler({
      input: options.input,
      logger: recordingLogger(options.logger, log),
      output: (name: string, value: unknown) => {
        outputs[name] = value;
      },
      checkpoint: async ({ fn }: { fn: () => Promise<unknown> }) => fn(),
      isDryRun: options.dryRun,
      getInitiatorCredentials: async () => options.credentials,
      workspacePath: '',
      createTemporaryDirectory: async () => {
        throw new Error('not available outside a scaffolder task');
      },
    });
  } catch (error) {
    if (
      !options.keepOnFailure?.(outputs) ||
      (isError(error) && CALLER_ERRORS.includes(error.name))
    ) {
      throw error;
    }
    return {
      outputs,
      log,
      error: isError(error) ? error.message : String(error),
    };
  }
  return { outputs, log };
}
