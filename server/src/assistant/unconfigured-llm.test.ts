import { describe, expect, it } from 'vitest';
import { UnconfiguredLlm } from './unconfigured-llm.ts';

describe('UnconfiguredLlm', () => {
  it('is not configured and says how to configure a model', async () => {
    const llm = new UnconfiguredLlm();
    expect(llm.configured).toBe(false);
    await expect(llm.complete()).rejects.toMatchObject({ code: 'unavailable', message: /OPENAI_API_KEY/ });
  });
});
