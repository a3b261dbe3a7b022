import pino from 'pino';

// Structured JSON logs. Secrets and phone numbers never reach them.
// Buffered, asynchronous writes: one synchronous write(2) per request line costs more CPU than the
// request's own SQL. Whatever is buffered is flushed when the process exits.
const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
process.on('exit', () => destination.flushSync());

export const logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  redact: {
    paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token', '*.phone', 'sessionSecret'],
    censor: '[redacted]',
  },
}, destination);

export type Logger = typeof logger;
