import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pdf, png, voiceNote, zipBomb } from '../support/attachment-fixtures.ts';
import {
  type ParleyResult,
  type ServerProcess,
  spawnParley,
  startServerProcess,
} from '../support/cli-processes.ts';
import { imagesIn, type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';

// `parley ask --attach`, `parley chat --attach` and `/attach`, and `parley show`, as separate processes
// against the real server, whose model is the OpenAI stand-in (it sees images and transcribes audio).

let standIn: OpenAiStandIn;
let dataDir: string;
let server: ServerProcess | undefined;
const files: Record<string, string> = {};

function parley(args: string[], input = ''): Promise<ParleyResult> {
  const child = spawnParley(args, {
    HOME: dataDir,
    PARLEY_URL: server?.url ?? '',
    PARLEY_LOCAL_KEY_FILE: join(dataDir, 'key'),
    PARLEY_USER: 'files-user',
  });
  child.child.stdin?.end(input);
  return child.result;
}

/** The turns' model requests, without the background ones that title conversations. */
const turnRequests = () =>
  standIn.requests.filter(
    (r) =>
      r.path.endsWith('/chat/completions') && !String(r.body.messages?.[0]?.content).includes('short title'),
  );

const conversationOf = (result: ParleyResult) => /conversation:? (\S+)/.exec(result.stderr)?.[1] ?? '';

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'parley-e2e-cli-files-'));
  standIn = await startOpenAiStandIn();
  server = await startServerProcess({ dataDir, keyFile: join(dataDir, 'key'), openAiUrl: standIn.url });
  const made: Record<string, Buffer> = {
    'cat.png': png(),
    'memo.ogg': voiceNote('call the dentist tomorrow'),
    'report.pdf': pdf('Revenue grew 12 percent'),
    'notes.txt': zipBomb(),
  };
  for (const [name, data] of Object.entries(made)) {
    files[name] = join(dataDir, name);
    await writeFile(files[name], data);
  }
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await standIn?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('parley with files', () => {
  it('asks about a photo and a PDF, and show lists them', async () => {
    const asked = await parley([
      'ask',
      '--attach',
      files['cat.png'] ?? '',
      '-a',
      files['report.pdf'] ?? '',
      'What are these?',
    ]);
    expect(asked.code, asked.stderr).toBe(0);
    expect(asked.stdout).toContain('[saw 1 image: image/png');
    expect(asked.stdout).toContain('Revenue grew 12 percent');
    expect(imagesIn(turnRequests().at(-1)?.body ?? {})).toHaveLength(1);
    const shown = await parley(['show', conversationOf(asked)]);
    expect(shown.stdout).toMatch(/📎 cat\.png \(image\/png, \d+ bytes\)/);
    expect(shown.stdout).toMatch(/📎 report\.pdf \(application\/pdf, \d+ bytes\)/);
  });

  it('sends a voice memo without text and shows what was heard', async () => {
    const asked = await parley(['ask', '--attach', files['memo.ogg'] ?? '']);
    expect(asked.code, asked.stderr).toBe(0);
    expect(asked.stderr).toContain('heard: “call the dentist tomorrow”');
    expect(asked.stdout.trim()).toBe('Echo: call the dentist tomorrow');
  });

  it('attaches in chat with --attach and /attach', async () => {
    const chat = await parley(
      ['chat', '--attach', files['cat.png'] ?? ''],
      `first look\n/attach ${files['report.pdf']}\nand this one\n`,
    );
    expect(chat.code, chat.stderr).toBe(0);
    expect(chat.stderr).toContain('attached report.pdf');
    const lastMessages = turnRequests().map((r) => JSON.stringify(r.body.messages?.at(-1) ?? {}));
    expect(lastMessages.some((m) => m.includes('first look') && m.includes('image_url'))).toBe(true);
    expect(
      lastMessages.some((m) => m.includes('and this one') && m.includes('Revenue grew 12 percent')),
    ).toBe(true);
  });

  it('refuses a zip bomb named .txt with a clear error and exit code', async () => {
    const before = turnRequests().length;
    const asked = await parley(['ask', '--attach', files['notes.txt'] ?? '', 'read this']);
    expect(asked.code).not.toBe(0);
    expect(asked.stderr).toContain('application/zip');
    expect(turnRequests().length).toBe(before);
    const missing = await parley(['ask', '--attach', join(dataDir, 'nope.png'), 'hi']);
    expect(missing.stderr).toContain('cannot attach');
    expect(missing.stderr).toContain('no such file');
  });
});
