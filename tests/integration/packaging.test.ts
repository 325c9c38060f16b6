import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayEnv } from '../support/dockerfile-replay.ts';
import { type PackedCli, packedCli } from '../support/shipped-artifacts.ts';

// What people outside this repository get: `parley` installed globally from the packed CLI (the one
// tests/e2e/shipped.test.ts runs its journeys with), and @parley/rpc packed and imported by another
// TypeScript project with plain node. `pnpm pack` builds first (prepack), so these run from a fresh clone.

const root = join(import.meta.dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'parley-packs-'));
const env = replayEnv();
function run(command: string, args: string[], cwd = root): string {
  try {
    return execFileSync(command, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout}${stderr}`);
  }
}

/** Packs a workspace package into the scratch folder and returns the tarball's path. */
function pack(name: string): string {
  const into = mkdtempSync(join(scratch, 'pack-'));
  run('pnpm', ['--filter', name, 'pack', '--pack-destination', into]);
  const [tarball] = readdirSync(into);
  if (!tarball) throw new Error(`pnpm pack ${name} wrote nothing`);
  return join(into, tarball);
}

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the parley command', () => {
  let cli: PackedCli;
  beforeAll(async () => {
    cli = await packedCli();
  }, 120_000);

  it('installs as a binary that shows its help and version', () => {
    expect(run(cli.bin, ['--help'])).toContain('Usage: parley');
    expect(run(cli.bin, ['--version']).trim()).toBe('0.1.0');
  });

  it('needs no other package at run time', () => {
    expect(readdirSync(cli.dir).sort()).toEqual(['dist', 'package.json']);
  });
});

describe('@parley/rpc, packed', () => {
  const project = join(scratch, 'consumer');
  beforeAll(() => {
    // Installed as a package manager would, without the registry: the tarball unpacked into
    // node_modules, and each dependency it declares linked to the copy this workspace installed.
    const modules = join(project, 'node_modules');
    mkdirSync(join(modules, '@parley'), { recursive: true });
    run('tar', ['xzf', pack('@parley/rpc'), '-C', join(modules, '@parley')]);
    renameSync(join(modules, '@parley', 'package'), join(modules, '@parley', 'rpc'));
    const manifest = JSON.parse(readFileSync(join(modules, '@parley', 'rpc', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    for (const dependency of Object.keys(manifest.dependencies)) {
      mkdirSync(dirname(join(modules, dependency)), { recursive: true });
      symlinkSync(
        realpathSync(join(root, 'packages', 'rpc', 'node_modules', dependency)),
        join(modules, dependency),
      );
    }
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
  }, 60_000);

  it('imports with plain node: ESM, the generated messages and the client factory', () => {
    const script = [
      "import { createChatClient, StartConversationRequest, Role } from '@parley/rpc';",
      "const req = StartConversationRequest.create({ message: 'hi' });",
      'console.log(typeof createChatClient, JSON.stringify(StartConversationRequest.toJson(req)), Role.ASSISTANT);',
    ].join('\n');
    expect(run(process.execPath, ['--input-type=module', '-e', script], project).trim()).toBe(
      'function {"message":"hi"} 2',
    );
  });

  it('type-checks in a NodeNext TypeScript project from its declarations', () => {
    writeFileSync(
      join(project, 'client.ts'),
      [
        "import { createChatClient, type ChatClient, type Message } from '@parley/rpc';",
        "const client: ChatClient = createChatClient({ baseUrl: 'http://127.0.0.1:8080', apiKey: 'k' });",
        'export async function reply(text: string): Promise<Message | undefined> {',
        '  return (await client.startConversation({ message: text })).reply;',
        '}',
        '// Proves the declarations resolved: were they `any`, this line would not be an error.',
        '// @ts-expect-error baseUrl is a string',
        'createChatClient({ baseUrl: 8080 });',
      ].join('\n'),
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        // skipLibCheck as `tsc --init` sets it: twirp-ts's own typings clash with ES2022 Error.cause.
        compilerOptions: { module: 'NodeNext', strict: true, noEmit: true, types: [], skipLibCheck: true },
        files: ['client.ts'],
      }),
    );
    run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', project]);
  });
});
