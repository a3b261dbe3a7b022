import pino, { type DestinationStream } from 'pino';
import { maskPhonesDeep, maskPhonesInText } from './customers/phone-visibility';

/** Fields of database errors that echo the failed statement's values (TypeORM, mysql2, sqlite). */
const VALUE_ECHOES = new Set(['parameters', 'sql', 'params', 'values']);

/**
 * Errors as logged: pino's standard serializer (type, message, stack, cause, own fields), minus the fields a database
 * driver fills with the statement's values (TypeORM's `parameters`, mysql2's `sql` with the values inlined), with every
 * phone number left (MariaDB's `Duplicate entry '1-139…'` message and `sqlMessage`, a stack, a nested cause) masked.
 */
function serializeError(err: unknown): unknown {
  const plain = err instanceof Error ? pino.stdSerializers.err(err) : err;
  return maskPhonesDeep(withoutValueEchoes(plain, 0));
}

function withoutValueEchoes(value: unknown, depth: number): unknown {
  if (depth > 8 || !value || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => withoutValueEchoes(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (VALUE_ECHOES.has(k)) continue;
    out[k] = v instanceof Error ? withoutValueEchoes(pino.stdSerializers.err(v), depth + 1) : withoutValueEchoes(v, depth + 1);
  }
  return out;
}

/**
 * The last line of defence, on the serialized line of every logger (root and children): a line that still names a
 * phone number anywhere (a message, a field, a key, a number) is written with every number masked.
 */
function maskLine(line: string): string {
  if (maskPhonesInText(line) === line) return line;
  try {
    return `${JSON.stringify(maskPhonesDeep(JSON.parse(line)))}\n`;
  } catch {
    return maskPhonesInText(line);
  }
}

/** A logger with the project's rules (redaction, error serializer, phone masking) writing to `destination`. */
export function createLogger(destination: DestinationStream, level = process.env.LOG_LEVEL ?? 'info') {
  return pino(
    {
      level,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token', '*.phone', 'sessionSecret'],
        censor: '[redacted]',
      },
      serializers: { err: serializeError, error: serializeError },
      hooks: { streamWrite: maskLine },
    },
    destination,
  );
}

// Structured JSON logs. Secrets and phone numbers never reach them.
// Buffered, asynchronous writes: one synchronous write(2) per request line costs more CPU than the
// request's own SQL. Whatever is buffered is flushed when the process exits.
const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
process.on('exit', () => destination.flushSync());

export const logger = createLogger(destination);

export type Logger = typeof logger;
