import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import type { PauseState } from '../../../src/http/api-types.js';
import { useSigned } from '../context.js';
import { usePoll } from '../poll.js';
import type { Route } from '../router.js';
import { Time } from './bits.js';

const sections = [
  { view: 'heals', href: '#/heals', label: 'Heals' },
  { view: 'pause', href: '#/pause', label: 'Pause' },
  { view: 'audit', href: '#/audit', label: 'Audit' },
  { view: 'policies', href: '#/policies', label: 'Policies' },
  { view: 'stats', href: '#/stats', label: 'Effectiveness' },
  { view: 'replay', href: '#/replay', label: 'Replay' },
] as const;

export function Layout(props: {
  route: Route;
  routeKey: string;
  onSignOut: () => void;
  children: ComponentChildren;
}) {
  const { api, who } = useSigned();
  const pause = usePoll(() => api.get<PauseState>('/v1/pause'), 'layout-pause', 5_000);
  const current = props.route.view === 'heal' ? 'heals' : props.route.view;

  // A new view: move focus to its heading, so keyboard and screen-reader users start there.
  useEffect(() => {
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [props.routeKey]);

  return (
    <>
      <button type="button" class="skip" onClick={skipToMain}>
        Skip to content
      </button>
      <header class="top">
        <a class="brand" href="#/heals">
          salve
        </a>
        <nav aria-label="Sections">
          <ul>
            {sections.map((s) => (
              <li key={s.view}>
                <a href={s.href} aria-current={current === s.view ? 'page' : undefined}>
                  {s.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span>
            {who.open ? 'Authentication off' : <>Signed in as {who.name}</>}{' '}
            <span class="muted">({who.scopes.join(', ')})</span>
          </span>
          {!who.open && (
            <button type="button" onClick={props.onSignOut}>
              Sign out
            </button>
          )}
        </div>
      </header>
      {who.open && (
        <p class="banner banner-bad" role="status">
          Authentication is disabled on this salve: anyone who can reach it can act.
        </p>
      )}
      {pause.data?.paused && props.route.view !== 'pause' && (
        <p class="banner banner-wait" role="status">
          salve is paused{pause.data.by ? ` by ${pause.data.by}` : ''}
          {pause.data.at && (
            <>
              {' '}
              since <Time at={pause.data.at} />
            </>
          )}
          {pause.data.reason ? `: ${pause.data.reason}` : ''}. Alerts are recorded; nothing is acted on.{' '}
          <a href="#/pause">Pause controls</a>
        </p>
      )}
      <main id="main">{props.children}</main>
    </>
  );
}

/** The hash holds the route, so skipping moves focus itself instead of navigating to #main. */
function skipToMain() {
  document.querySelector<HTMLElement>('main h1')?.focus();
}
