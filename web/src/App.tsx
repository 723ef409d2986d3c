/** The console shell: sign-in when there is no token, else the navigation and the current view. */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { ApiProvider } from './api/api-context.js';
import { createApiClient } from './api/client.js';
import { TokenForm } from './components/TokenForm.js';
import { hashOf, NAV, parseView, type View } from './route.js';
import { HostsView } from './views/HostsView.js';
import { JobActivityView } from './views/JobActivityView.js';
import { JobsView } from './views/JobsView.js';
import { RewindView } from './views/RewindView.js';
import { RestoreView } from './views/restore/RestoreView.js';
import { ScenarioEventsView } from './views/ScenarioEventsView.js';
import { ScenariosView } from './views/ScenariosView.js';
import { SessionsView } from './views/SessionsView.js';

export interface TokenKeeper {
  get(): string | undefined;
  set(token: string): void;
  clear(): void;
}

export function App(props: { tokens: TokenKeeper }) {
  const { tokens } = props;
  const [token, setToken] = useState(tokens.get());
  const [reason, setReason] = useState<string>();
  const [view, setView] = useState<View>(() => parseView(window.location.hash));

  useEffect(() => {
    const onHash = () => setView(parseView(window.location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const api = useMemo(
    () => (token ? createApiClient({ token, fetch: (url, init) => window.fetch(url, init) }) : undefined),
    [token],
  );
  const signOut = useCallback(
    (why: string) => {
      tokens.clear();
      setToken(undefined);
      setReason(why || undefined);
    },
    [tokens],
  );

  if (!api) {
    return (
      <TokenForm
        reason={reason}
        onToken={(fresh) => {
          tokens.set(fresh);
          setReason(undefined);
          setToken(fresh);
        }}
      />
    );
  }
  return (
    <ApiProvider api={api} onUnauthorized={signOut}>
      <header className="top">
        <strong>Tidemark</strong>
        <nav>
          {NAV.map((item) => (
            <a
              key={item.name}
              href={hashOf({ name: item.name } as View)}
              className={navActive(view, item.name) ? 'active' : undefined}
            >
              {item.label}
            </a>
          ))}
        </nav>
        <button type="button" onClick={() => signOut('')}>
          Sign out
        </button>
      </header>
      <main>
        <CurrentView view={view} />
      </main>
    </ApiProvider>
  );
}

function navActive(view: View, name: View['name']): boolean {
  if (view.name === 'events' || view.name === 'rewind') return name === 'scenarios';
  if (view.name === 'activity') return name === 'jobs';
  return view.name === name;
}

function CurrentView(props: { view: View }) {
  const { view } = props;
  switch (view.name) {
    case 'hosts':
      return <HostsView />;
    case 'scenarios':
      return <ScenariosView />;
    case 'events':
      return <ScenarioEventsView key={view.scenarioId} scenarioId={view.scenarioId} />;
    case 'rewind':
      return <RewindView key={view.scenarioId} scenarioId={view.scenarioId} />;
    case 'jobs':
      return <JobsView />;
    case 'activity':
      return <JobActivityView key={view.jobId} jobId={view.jobId} />;
    case 'sessions':
      return <SessionsView />;
    case 'restore':
      return <RestoreView />;
  }
}
