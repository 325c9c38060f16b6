import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createMetrics } from '../../server/src/observability/metrics.ts';
import { createPolicyMetrics } from '../../server/src/observability/policy-metrics.ts';

// No Docker engine runs here: these checks read the deploy files as Compose, Prometheus and Grafana
// would, and hold them against the code (metric names, ports, entry points).

const root = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const exists = (path: string) => existsSync(join(root, path));

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  configs?: { source: string; target: string }[];
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  configs: Record<string, { content?: string }>;
}

const compose = parse(read('docker-compose.yml')) as Compose;
const services = compose.services;
const service = (name: string): Service => {
  const found = services[name];
  if (!found) throw new Error(`no service ${name}`);
  return found;
};

/** Every series name a scrape of the server can show (histograms as _bucket/_sum/_count). */
function registeredSeries(): Set<string> {
  const registry = new Registry();
  createMetrics(registry);
  createPolicyMetrics(registry);
  return new Set(
    registry.getMetricsAsArray().flatMap(({ name, type }) => {
      if (String(type) === 'histogram') return [`${name}_bucket`, `${name}_sum`, `${name}_count`];
      if (String(type) === 'summary') return [name, `${name}_sum`, `${name}_count`];
      return [name];
    }),
  );
}

describe('docker-compose.yml', () => {
  it('runs the whole stack, each service from an image or a build, each with a healthcheck', () => {
    expect(Object.keys(services).sort()).toEqual([
      'bot',
      'grafana',
      'mongo',
      'prometheus',
      'redis',
      'server',
    ]);
    for (const [name, s] of Object.entries(services)) {
      expect(s.image ?? s.build, name).toBeTruthy();
      expect(s.healthcheck?.test.length, name).toBeGreaterThan(1);
    }
    expect(service('mongo').image).toMatch(/^mongo:7/);
    expect(service('redis').image).toMatch(/^redis:7/);
  });

  it('builds from Dockerfiles that exist, and mounts only files and volumes that exist', () => {
    for (const name of ['server', 'bot']) {
      const build = service(name).build;
      expect(build?.context).toBe('.');
      expect(exists(build?.dockerfile ?? ''), name).toBe(true);
    }
    for (const [name, s] of Object.entries(services)) {
      for (const volume of s.volumes ?? []) {
        const [source = ''] = volume.split(':');
        if (source.startsWith('./')) expect(exists(source), `${name}: ${source}`).toBe(true);
        else expect(compose.volumes, `${name}: ${source}`).toHaveProperty(source);
      }
      for (const config of s.configs ?? []) expect(compose.configs).toHaveProperty(config.source);
    }
  });

  it('starts services after what they depend on, waiting for health where a healthcheck exists', () => {
    expect(service('server').depends_on).toEqual({
      redis: { condition: 'service_healthy' },
      mongo: { condition: 'service_healthy' },
    });
    expect(service('bot').depends_on).toEqual({ server: { condition: 'service_healthy' } });
    for (const s of Object.values(services)) {
      for (const [dependency, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(services).toHaveProperty(dependency);
        expect(['service_started', 'service_healthy']).toContain(condition);
      }
    }
  });

  it('wires the server to Redis, MongoDB and API_KEYS, and the bot to the server', () => {
    expect(service('server').environment).toMatchObject({
      REDIS_URL: 'redis://redis:6379',
      MONGODB_URL: 'mongodb://mongo:27017',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose interpolation, not a JS template.
      API_KEYS: '${API_KEYS:-}',
    });
    expect(service('bot').environment).toMatchObject({ PARLEY_URL: 'http://server:8080', BOT_PORT: '8081' });
  });

  it('documents in .env.example every variable it reads from the environment', () => {
    const example = read('.env.example');
    const variables = new Set([...read('docker-compose.yml').matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]));
    expect(variables.size).toBeGreaterThan(3);
    for (const variable of variables) expect(example, variable).toMatch(new RegExp(`^#? ?${variable}=`, 'm'));
  });
});

describe.each([
  ['deploy/Dockerfile.server', '8080'],
  ['deploy/Dockerfile.bot', '8081'],
])('%s', (path, port) => {
  const text = read(path);
  const ignored = read('.dockerignore');

  // image-replay.test.ts replays these files and starts what they build.
  it('is multi-stage on node:22-slim, installs the lockfile, generates code, deploys, runs as node', () => {
    expect(text.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/^ARG NODE_IMAGE=node:22-slim$/m);
    expect(text).toContain('npm install --global pnpm@10.34.9');
    expect(text).toContain('pnpm install --frozen-lockfile');
    expect(text).toContain('pnpm exec buf generate');
    expect(text).toMatch(/^USER node$/m);
    expect(text).toMatch(/^HEALTHCHECK /m);
    expect(text).toContain(`EXPOSE ${port}`);
    expect(text).toMatch(/^RUN pnpm --filter \S+ deploy --prod /m);
    const flags = path.endsWith('.server')
      ? '"--experimental-async-context-frame", "--max-semi-space-size=64", '
      : '';
    expect(text).toContain(`CMD ["node", ${flags}"dist/main.js"]`);
  });

  it('copies only paths that exist and that .dockerignore lets through', () => {
    const sources = [...text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => (m[1] ?? '').split(' '));
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) {
      expect(exists(source), source).toBe(true);
      expect(ignored.split('\n'), source).not.toContain(source);
    }
    expect(ignored).toMatch(/^\.env$/m);
    expect(ignored).toMatch(/^\*\*\/node_modules$/m);
  });
});

describe('Prometheus', () => {
  const config = parse(read('deploy/prometheus/prometheus.yml')) as {
    scrape_configs: {
      job_name: string;
      static_configs: { targets: string[] }[];
      authorization?: { credentials_file: string };
    }[];
  };
  const job = (name: string) => config.scrape_configs.find((j) => j.job_name === name);

  it('scrapes the server and the bot at their compose names and ports', () => {
    expect(job('parley-server')?.static_configs[0]?.targets).toEqual([
      `server:${service('server').environment?.PORT}`,
    ]);
    expect(job('parley-bot')?.static_configs[0]?.targets).toEqual([
      `bot:${service('bot').environment?.BOT_PORT}`,
    ]);
  });

  it('sends the metrics token compose writes for it', () => {
    const mounted = service('prometheus').configs?.find((c) => c.source === 'metrics-token');
    expect(job('parley-server')?.authorization?.credentials_file).toBe(mounted?.target);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose interpolation, not a JS template.
    expect(compose.configs['metrics-token']?.content).toBe('${METRICS_TOKEN:-unset}');
    expect(service('prometheus').volumes).toContain(
      './deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
    );
  });
});

describe('Grafana', () => {
  const datasources = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as {
    datasources: { uid: string; type: string; url: string }[];
  };
  const providers = parse(read('deploy/grafana/provisioning/dashboards/dashboards.yml')) as {
    providers: { options: { path: string } }[];
  };
  const dashboard = JSON.parse(read('deploy/grafana/dashboards/parley.json')) as {
    uid: string;
    panels: { type: string; title: string; datasource?: { uid: string }; targets?: { expr: string }[] }[];
  };
  const panels = dashboard.panels.filter((p) => p.type !== 'row');
  const expressions = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

  it('provisions the compose Prometheus and loads dashboards from where compose mounts them', () => {
    expect(datasources.datasources).toEqual([
      expect.objectContaining({ uid: 'prometheus', type: 'prometheus', url: 'http://prometheus:9090' }),
    ]);
    const mount = service('grafana').volumes?.find((v) => v.startsWith('./deploy/grafana/dashboards:'));
    expect(mount?.split(':')[1]).toBe(providers.providers[0]?.options.path);
    expect(service('grafana').volumes).toContain(
      './deploy/grafana/provisioning:/etc/grafana/provisioning:ro',
    );
  });

  it('queries only metrics the server registers, through the provisioned datasource', () => {
    const registered = registeredSeries();
    expect(panels.length).toBeGreaterThanOrEqual(10);
    for (const panel of panels) {
      expect(panel.datasource?.uid, panel.title).toBe('prometheus');
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    }
    for (const expr of expressions) {
      const names = expr.match(/\bparley_[a-z0-9_]+/g) ?? [];
      expect(names.length, expr).toBeGreaterThan(0);
      for (const name of names) expect(registered.has(name), `${name} in ${expr}`).toBe(true);
    }
  });

  it('shows every Parley metric somewhere', () => {
    const used = expressions.join('\n');
    const own = new Registry();
    createMetrics(own);
    const ownNames = own
      .getMetricsAsArray()
      .map((m) => m.name)
      .filter((name) => !/^parley_(process|nodejs)_/.test(name));
    expect(ownNames).toHaveLength(14);
    for (const name of ownNames) expect(used, name).toContain(name);
  });
});
