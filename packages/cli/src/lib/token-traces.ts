/**
 * cdktf (and constructs) record where every token was created: a full stack trace, captured with
 * `Error.stackTraceLimit` raised to MAX_SAFE_INTEGER around `Error.captureStackTrace` and formatted at
 * once. It is shown only in the message about a token that fails to resolve, yet costs about a fifth of a
 * synth. From this call until the returned function is called, such captures record an empty stack;
 * every other stack trace (ours, Node's, errors') is captured as usual. The synthesized output does not
 * change. `PLATFORM_DEBUG=1` keeps the traces (callers check it).
 */
export function skipTokenStackTraces(errorClass: ErrorConstructor = Error): () => void {
  const original = errorClass.captureStackTrace;
  errorClass.captureStackTrace = (target: object, ...rest: unknown[]) => {
    if (errorClass.stackTraceLimit === Number.MAX_SAFE_INTEGER) {
      (target as { stack?: string }).stack = '';
      return;
    }
    (original as (...args: unknown[]) => void).call(errorClass, target, ...rest);
  };
  return () => {
    errorClass.captureStackTrace = original;
  };
}
