import { Link } from '../router.tsx';

export function NotFoundPage(props: { path: string }) {
  return (
    <section>
      <h1>Nothing at {props.path}</h1>
      <p>
        <Link to="/environments">See the environments</Link>
      </p>
    </section>
  );
}
