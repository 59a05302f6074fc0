import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { installGestureUnlock } from './alarm.ts';
import { App } from './components/App.tsx';
import { initI18n } from './i18n.ts';
import { restoreSession } from './session.ts';
import { getStore } from './store.ts';
import './styles.css';

initI18n();
installGestureUnlock(document);

const el = document.getElementById('root');
if (el === null) throw new Error('#root missing from index.html');
createRoot(el).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

// Outside React so StrictMode's double effects never open two sockets.
void getStore().start();
void restoreSession();
