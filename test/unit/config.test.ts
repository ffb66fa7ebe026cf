import { describe, expect, it } from 'vitest';
import { loadConfig, parseCommandLine } from '../../src/config/load.js';
import { SalveError } from '../../src/errors.js';

describe('configuration', () => {
  it('runs on embedded defaults with no environment at all', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      listen: { host: '127.0.0.1', port: 9095 },
      dataDir: './data',
      policies: './policies',
      store: 'sqlite',
      tokensFile: 'data/tokens.yaml',
      dryRun: false,
      logLevel: 'info',
      insecureNoAuth: false,
    });
  });

  it('reads every setting from its SALVE_ variable', () => {
    const config = loadConfig({
      SALVE_LISTEN: '0.0.0.0:8080',
      SALVE_DATA_DIR: '/var/lib/salve',
      SALVE_POLICIES: '/etc/salve/policies',
      SALVE_STORE: 'postgres://salve@db/salve',
      SALVE_TOKENS_FILE: '/etc/salve/tokens.yaml',
      SALVE_DRY_RUN: 'true',
      SALVE_LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      listen: { host: '0.0.0.0', port: 8080 },
      dataDir: '/var/lib/salve',
      store: 'postgres://salve@db/salve',
      tokensFile: '/etc/salve/tokens.yaml',
      dryRun: true,
      logLevel: 'debug',
    });
  });

  it("reads PagerDuty's routing key from a variable or a file, once, with PagerDuty's enqueue URL by default", () => {
    expect(loadConfig({}).pagerdutyUrl).toBe('https://events.pagerduty.com/v2/enqueue');
    const config = loadConfig({
      SALVE_PAGERDUTY_ROUTING_KEY_FILE: '/var/run/secrets/pagerduty/routing-key',
      SALVE_PAGERDUTY_URL: 'https://pd-proxy.internal/v2/enqueue',
    });
    expect(config).toMatchObject({
      pagerdutyRoutingKeyFile: '/var/run/secrets/pagerduty/routing-key',
      pagerdutyUrl: 'https://pd-proxy.internal/v2/enqueue',
    });
    const both = () =>
      loadConfig({
        SALVE_PAGERDUTY_ROUTING_KEY: 'R0UTINGKEY0123456789abcdefABCDEF',
        SALVE_PAGERDUTY_ROUTING_KEY_FILE: '/var/run/secrets/pagerduty/routing-key',
      });
    expect(both).toThrow(
      'SALVE_PAGERDUTY_ROUTING_KEY_FILE: set the routing key once: SALVE_PAGERDUTY_ROUTING_KEY or SALVE_PAGERDUTY_ROUTING_KEY_FILE, not both',
    );
    expect(() => both()).not.toThrow(/R0UTINGKEY/);
    expect(() => loadConfig({ SALVE_PAGERDUTY_URL: 'ftp://events.pagerduty.com/v2/enqueue' })).toThrow(
      /^invalid configuration: SALVE_PAGERDUTY_URL: /,
    );
  });

  it('bounds the delivery deadline well inside what Alertmanager waits, and reads the start-up wait', () => {
    expect(loadConfig({})).toMatchObject({ deliveryDeadline: 5_000, storeWait: 60_000 });
    expect(loadConfig({ SALVE_DELIVERY_DEADLINE: '2s500ms', SALVE_STORE_WAIT: '0' })).toMatchObject({
      deliveryDeadline: 2_500,
      storeWait: 0,
    });
    expect(() => loadConfig({ SALVE_DELIVERY_DEADLINE: '0' })).toThrow(
      /SALVE_DELIVERY_DEADLINE: expected a duration between 100ms and 60s/,
    );
    expect(() => loadConfig({}, { storeWait: 'soon' })).toThrow(/--store-wait: expected a duration/);
  });

  it("runs SQLite's writes in a thread of their own unless told to keep them on the event loop", () => {
    expect(loadConfig({}).sqliteWriter).toBe('worker');
    expect(loadConfig({ SALVE_SQLITE_WRITER: 'event-loop' }).sqliteWriter).toBe('event-loop');
    expect(() => loadConfig({ SALVE_SQLITE_WRITER: 'thread' })).toThrow(/SALVE_SQLITE_WRITER/);
    expect(loadConfig({}).postgresStatements).toBe('prepared');
    expect(loadConfig({ SALVE_POSTGRES_STATEMENTS: 'unnamed' }).postgresStatements).toBe('unnamed');
    expect(() => loadConfig({ SALVE_POSTGRES_STATEMENTS: 'off' })).toThrow(/SALVE_POSTGRES_STATEMENTS/);
  });

  it('lets a kebab-case flag win over the environment variable of the same name', () => {
    const { raw } = parseCommandLine(['--listen', '127.0.0.1:7000', '--dry-run', '--data-dir=/tmp/x']);
    const config = loadConfig({ SALVE_LISTEN: '0.0.0.0:1', SALVE_DRY_RUN: 'false' }, raw);
    expect(config.listen.port).toBe(7000);
    expect(config.dryRun).toBe(true);
    expect(config.dataDir).toBe('/tmp/x');
    expect(config.tokensFile).toBe('/tmp/x/tokens.yaml');
  });

  it('names the variable and the problem when a value is bad', () => {
    expect(() => loadConfig({ SALVE_LISTEN: 'nowhere' })).toThrow(/SALVE_LISTEN: expected HOST:PORT/);
    expect(() => loadConfig({ SALVE_STORE: 'mysql://x' })).toThrow(
      /SALVE_STORE: expected "sqlite" or a postgres:\/\/ URL/,
    );
    expect(() => loadConfig({ SALVE_LOG_LEVEL: 'loud' })).toThrow(/SALVE_LOG_LEVEL/);
    const { raw } = parseCommandLine(['--listen', '1.2.3.4:99999']);
    expect(() => loadConfig({}, raw)).toThrow(/--listen: port must be 0..65535/);
  });

  it('refuses an unknown flag with a configuration error', () => {
    try {
      parseCommandLine(['--lissten', 'x']);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SalveError);
      expect((err as SalveError).code).toBe('SALVE_CONFIG_INVALID');
    }
  });
});
