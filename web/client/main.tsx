/** Entry point of the dashboard's browser bundle (web/bundle.ts bundles it with the stylesheet). */
import { render } from 'hono/jsx/dom';
import { App } from './app.tsx';
import './styles.css';

const root = document.getElementById('app');
if (root) render(<App />, root);
