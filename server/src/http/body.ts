import type { Context } from 'koa';
import { AppError } from './errors';

/**
 * Reads a raw request body (uploads, platform callbacks: no body parser in front of them) of at most `limit` bytes.
 * A body that declares more is refused at once. One that turns out larger while streaming (chunked, no
 * Content-Length) is read on to its end and thrown away, then refused with `tooLarge`: the client gets the 413
 * instead of a connection reset mid-upload. Past `limit + drainMax` the connection is closed after the answer.
 */
export function readLimitedBody(ctx: Context, limit: number, tooLarge: () => AppError, drainMax = 16 * 1024 * 1024): Promise<Buffer> {
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > limit) return Promise.reject(tooLarge());
  const req = ctx.req;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (fn: () => void) => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted);
      fn();
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
      else if (chunks.length) chunks.length = 0; // over the limit: keep reading, keep nothing
      if (size > limit + drainMax) {
        ctx.set('Connection', 'close');
        req.resume(); // the rest is discarded while the answer goes out
        done(() => reject(tooLarge()));
      }
    };
    const onEnd = () => done(() => (size > limit ? reject(tooLarge()) : resolve(Buffer.concat(chunks))));
    const onAborted = () => done(() => reject(new AppError(400, 'upload_aborted', '上传中断，请检查网络后重试')));
    const onError = onAborted;
    req.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onAborted);
  });
}
