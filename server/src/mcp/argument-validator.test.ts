import { describe, expect, it } from 'vitest';
import { ArgumentValidator } from './argument-validator.ts';

describe('ArgumentValidator', () => {
  it('checks arguments against a draft-07 schema, formats included', () => {
    const check = new ArgumentValidator().compile('s__mail', {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { to: { type: 'string', format: 'email' }, n: { type: 'integer', minimum: 1 } },
      required: ['to'],
      additionalProperties: false,
    });
    expect(check({ to: 'a@example.com', n: 2 })).toEqual({ ok: true });
    const bad = check({ to: 'nope', n: 0, extra: true });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.message).toBe(
      [
        'Invalid arguments for s__mail:',
        '- must NOT have additional properties (extra)',
        '- to: must match format "email"',
        '- n: must be >= 1',
        'Fix the arguments and call s__mail again.',
      ].join('\n'),
    );
  });

  it('compiles 2020-12 schemas (the MCP default) and several tools sharing an $id', () => {
    const validator = new ArgumentValidator();
    const schema = {
      $id: 'urn:same',
      type: 'object',
      properties: { items: { type: 'array', prefixItems: [{ type: 'string' }] } },
      $defs: { unused: { type: 'string' } },
    };
    const first = validator.compile('s__a', schema);
    const second = validator.compile('s__b', schema);
    expect(first({ items: ['x'] })).toEqual({ ok: true });
    expect(second({ items: [1] }).ok).toBe(false);
  });

  it('throws on a schema it cannot compile', () => {
    expect(() =>
      new ArgumentValidator().compile('s__x', { type: 'object', properties: { a: { $ref: '#/nope' } } }),
    ).toThrow();
  });
});
