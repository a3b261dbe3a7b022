import pino from 'pino';

// Structured JSON logs. Secrets and phone numbers never reach them.
export const logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  redact: {
    paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token', '*.phone', 'sessionSecret'],
    censor: '[redacted]',
  },
});

export type Logger = typeof logger;
