import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { forgetToken, storedToken, storeToken, whenUnauthorized } from './api';
import './styles.css';
import { AgentPage } from './views/agent-page';
import { Agents } from './views/agents';
import { MessageLookup } from './views/message-lookup';
import { Overview } from './views/overview';
import { SignIn } from './views/sign-in';

type Route =
  | { view: 'overview' }
  | { view: 'agents' }
  | { view: 'agent'; agentId: string }
  | { view: 'messages'; messageId?: string };

/** Routes live in the hash (#/agents/nova), so the server needs to serve one page only. */
function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'agents') return parts[1] ? { view: 'agent', agentId: parts[1] } : { view: 'agents' };
  if (parts[0] === 'messages') return { view: 'messages', messageId: parts[1] };
  return { view: 'overview' };
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

const NAV: { href: string; label: string; views: Route['view'][] }[] = [
  { href: '#/', label: 'Overview', views: ['overview'] },
  { href: '#/agents', label: 'Agents', views: ['agents', 'agent'] },
  { href: '#/messages', label: 'Message lookup', views: ['messages'] },
];

function App() {
  const [signedIn, setSignedIn] = useState(() => storedToken() !== null);
  const [signedOutWhy, setSignedOutWhy] = useState<string>();
  const route = useRoute();
  useEffect(() => {
    whenUnauthorized(() => {
      forgetToken();
      setSignedIn(false);
      setSignedOutWhy(
        'Brain no longer accepts the token (it was changed, or Brain restarted with another one).',
      );
    });
  }, []);
  // Each view's heading takes the focus when the view changes, so keyboard and screen-reader users land on it.
  useEffect(() => {
    if (signedIn) focusHeading();
    else document.getElementById('admin-token')?.focus();
  }, [route, signedIn]);

  if (!signedIn) {
    return (
      <SignIn
        notice={signedOutWhy}
        onSignedIn={(token) => {
          storeToken(token);
          setSignedOutWhy(undefined);
          setSignedIn(true);
        }}
      />
    );
  }
  return (
    <>
      <a class="skip-link" href="#content" onClick={skipToContent}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Brain</span>
        <nav aria-label="Dashboard">
          <ul>
            {NAV.map((item) => (
              <li key={item.href}>
                <a href={item.href} aria-current={item.views.includes(route.view) ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button
          type="button"
          class="sign-out"
          onClick={() => {
            forgetToken();
            setSignedIn(false);
          }}
        >
          Sign out
        </button>
      </header>
      <main id="content">
        {route.view === 'overview' && <Overview />}
        {route.view === 'agents' && <Agents />}
        {route.view === 'agent' && <AgentPage key={route.agentId} agentId={route.agentId} />}
        {route.view === 'messages' && <MessageLookup messageId={route.messageId} />}
      </main>
    </>
  );
}

/** The skip link must not change the hash: the hash is the route. */
function skipToContent(event: Event) {
  event.preventDefault();
  focusHeading();
}

function focusHeading() {
  const heading = document.querySelector<HTMLElement>('main h1');
  if (!heading) return;
  heading.tabIndex = -1;
  heading.focus();
}

render(<App />, document.getElementById('app')!);
