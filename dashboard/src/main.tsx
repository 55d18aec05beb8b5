import { render } from 'preact';

function App() {
  return <h1>Brain</h1>;
}

render(<App />, document.getElementById('app')!);
