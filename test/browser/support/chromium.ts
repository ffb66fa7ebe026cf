import fs from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's chromium package (apt-get install chromium); playwright-core drives it, it downloads nothing. */
export const chromiumPath = process.env.SALVE_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = (): boolean => fs.existsSync(chromiumPath);

/** Says, once per file, why the browser tests of that file did not run. */
export function warnIfNoChromium(file: string): void {
  if (!hasChromium()) {
    console.warn(`SKIPPED ${file}: no Chromium at ${chromiumPath} (apt-get install -y chromium)`);
  }
}

/**
 * Headless, and quiet on the network: no first-run pages, component updates, sync or background requests,
 * so the only traffic is the page under test. playwright gives each launch a fresh temporary profile.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export type Viewport = { width: number; height: number };
export const desktop: Viewport = { width: 1280, height: 800 };
export const phone: Viewport = { width: 390, height: 844 };

/**
 * A page that records what must never happen: script dialogs (alert/confirm/prompt), uncaught errors and
 * Content-Security-Policy or Trusted Types violations. Tests assert these stay empty.
 */
export type WatchedPage = {
  page: Page;
  context: BrowserContext;
  dialogs: string[];
  errors: string[];
  violations: string[];
};

export async function openPage(
  browser: Browser,
  options: { viewport?: Viewport; colorScheme?: 'light' | 'dark' } = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({
    viewport: options.viewport ?? desktop,
    colorScheme: options.colorScheme ?? 'light',
    deviceScaleFactor: 1,
    reducedMotion: 'reduce',
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  // Well inside the tests' own timeouts, so a missing element fails with its locator named.
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const watched: WatchedPage = { page, context, dialogs: [], errors: [], violations: [] };
  page.on('dialog', (d) => {
    watched.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  page.on('pageerror', (e) => watched.errors.push(String(e)));
  page.on('console', (m) => {
    const text = m.text();
    if (/Content Security Policy|Trusted Type|TrustedHTML/i.test(text)) watched.violations.push(text);
  });
  return watched;
}

/** Nothing that must never happen did: no script dialog, no uncaught error, no policy violation. */
export function quietProblems(w: WatchedPage): string[] {
  return [
    ...w.dialogs.map((d) => `dialog ${d}`),
    ...w.errors.map((e) => `page error ${e}`),
    ...w.violations.map((v) => `violation ${v}`),
  ];
}
