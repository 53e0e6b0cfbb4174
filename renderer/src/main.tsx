import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { connectBridge } from './platform';
import { bindBridge } from './store/bind-bridge';
import { useAppStore } from './store';
import './styles.css';

const client = connectBridge();
bindBridge(client, useAppStore.getState);

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
