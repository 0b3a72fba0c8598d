import { describe, expect, it } from 'vitest';
import {
  Job,
  type JobRecord,
  JobRegistry,
  REDACTED,
  redactRecord,
  redactValue,
  sensitiveFieldsOf,
} from '../../src/index.js';
import { scrubError } from '../../src/logging/sensitive.js';

class BaseSecretJob extends Job {
  static sensitive = ['password'];
  handle() {}
}
class ChildSecretJob extends BaseSecretJob {
  static override sensitive = ['cardNumber'];
  constructor(
    public kind: string,
    public iban?: string,
  ) {
    super();
  }
  override jobName() {
    return 'ChildSecretJob';
  }
  sensitiveFields() {
    return ['iban'];
  }
}

function record(payload: unknown, errorMessage: string | null): JobRecord {
  const now = new Date();
  return {
    id: '01J',
    queueName: 'default',
    jobName: 'ChildSecretJob',
    payload,
    attempts: 1,
    maxAttempts: 1,
    status: 'failed',
    priority: 0,
    availableAt: now,
    reservedAt: now,
    processedAt: null,
    failedAt: now,
    errorMessage,
    progress: null,
    result: null,
    timeoutSeconds: 300,
    createdAt: now,
    updatedAt: now,
  };
}

describe('sensitive fields', () => {
  it('adds up static lists along the class chain and the sensitiveFields() method', () => {
    expect([...sensitiveFieldsOf(ChildSecretJob)].sort()).toEqual(['cardnumber', 'iban', 'password']);
    expect([...sensitiveFieldsOf(new ChildSecretJob('bank'))].sort()).toEqual([
      'cardnumber',
      'iban',
      'password',
    ]);
    expect(sensitiveFieldsOf(null).size).toBe(0);
  });

  it('redacts keys at any depth, case-insensitively, without touching the input', () => {
    const input = { user: { Password: 'hunter2', name: 'Ann' }, cards: [{ cardNumber: '4242' }], n: 1 };
    const out = redactValue(input, new Set(['password', 'cardnumber']));
    expect(out).toEqual({
      user: { Password: REDACTED, name: 'Ann' },
      cards: [{ cardNumber: REDACTED }],
      n: 1,
    });
    expect(input.user.Password).toBe('hunter2');
  });

  it('redactRecord hides payload keys and scrubs their values from the error message', () => {
    const registry = new JobRegistry();
    registry.register([ChildSecretJob]);
    const shown = redactRecord(
      record(
        { kind: 'bank', iban: 'DE89370400440532013000', password: 'pw-123' },
        'IBAN DE89370400440532013000 refused',
      ),
      registry,
    );
    expect(shown.payload).toEqual({ kind: 'bank', iban: REDACTED, password: REDACTED });
    expect(shown.errorMessage).toBe(`IBAN ${REDACTED} refused`);
    // Unknown classes still honour extra names.
    const other = redactRecord({ ...record({ token: 'abc123' }, 'bad abc123'), jobName: 'Nope' }, registry, [
      'token',
    ]);
    expect(other.payload).toEqual({ token: REDACTED });
    expect(other.errorMessage).toBe(`bad ${REDACTED}`);
  });

  it('scrubError rewrites message and stack', () => {
    const error = scrubError(new Error('secret s3cr3t leaked'), ['s3cr3t']);
    expect(error.message).toBe(`secret ${REDACTED} leaked`);
    expect(error.stack).not.toContain('s3cr3t');
    const frozen = Object.freeze(new Error('x s3cr3t'));
    expect(scrubError(frozen, ['s3cr3t']).message).toBe(`x ${REDACTED}`);
  });
});
