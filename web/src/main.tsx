import './styles.css';
import { render } from 'preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import type { WhoAmI } from '../../src/http/api-types.js';
import { ApiError, createApi } from './api.js';
import { Layout } from './components/layout.js';
import { type Signed, SignedIn } from './context.js';
import { useRoute } from './router.js';
import { tabSession } from './session.js';
import { AuditView } from './views/audit.js';
import { HealDetailView } from './views/heal-detail.js';
import { HealsView } from './views/heals.js';
import { NotFound } from './views/not-found.js';
import { PauseView } from './views/pause.js';
import { PoliciesView } from './views/policies.js';
import { ReplayView } from './views/replay.js';
import { SignIn } from './views/sign-in.js';
import { StatsView } from './views/stats.js';

type Session = { token: string | null; who: WhoAmI };

function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [checked, setChecked] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const { route, key } = useRoute();

  const signOut = useCallback((why: string | null = null) => {
    tabSession.clear();
    setSession(null);
    setNotice(why);
  }, []);

  // A reload of the tab keeps its token; with authentication off, no token is needed at all.
  useEffect(() => {
    const token = tabSession.token();
    createApi(token)
      .get<WhoAmI>('/v1/whoami')
      .then((who) => setSession({ token, who }))
      .catch((err: unknown) => {
        if (token) {
          tabSession.clear();
          if (err instanceof ApiError && err.status === 401) setNotice('salve no longer accepts this token.');
        }
      })
      .finally(() => setChecked(true));
  }, []);

  const signed = useMemo<Signed | null>(() => {
    if (!session) return null;
    const api = createApi(session.token, (error) =>
      signOut(`salve refused the token (${error.message}). Sign in again.`),
    );
    return { api, who: session.who, canOperate: session.who.scopes.includes('operator') };
  }, [session, signOut]);

  if (!checked) return null;
  if (!signed) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(token, who) => {
          tabSession.save(token);
          setNotice(null);
          setSession({ token, who });
        }}
      />
    );
  }
  return (
    <SignedIn.Provider value={signed}>
      <Layout route={route} routeKey={key} onSignOut={() => signOut()}>
        {route.view === 'heals' && <HealsView query={route.query} />}
        {route.view === 'heal' && <HealDetailView id={route.id} />}
        {route.view === 'pause' && <PauseView />}
        {route.view === 'audit' && <AuditView query={route.query} />}
        {route.view === 'policies' && <PoliciesView />}
        {route.view === 'stats' && <StatsView query={route.query} />}
        {route.view === 'replay' && <ReplayView />}
        {route.view === 'not-found' && <NotFound path={route.path} />}
      </Layout>
    </SignedIn.Provider>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
