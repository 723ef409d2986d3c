/**
 * The console's entry: takes the token out of the URL fragment before
 * anything renders (so it never lingers in the address bar or history),
 * then mounts the app.
 */
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { takeTokenFromFragment, tokenStore } from './auth/token.js';
import './console.css';

const tokens = tokenStore(window.sessionStorage);
const { token, hash } = takeTokenFromFragment(window.location.hash);
if (token) {
  tokens.set(token);
  window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}${hash}`);
}

const root = document.getElementById('root');
if (root) createRoot(root).render(<App tokens={tokens} />);
