/**
 * A small modal form for an action that needs words from the user (a pause's reason, a range to
 * restate): it stays open with the API's refusal when the action fails, and closes once it succeeds.
 */
import type { Child } from 'hono/jsx';
import { useEffect, useRef } from 'hono/jsx/dom';
import { useState } from '../hooks.ts';

export interface DialogField {
  name: string;
  label: string;
  placeholder?: string;
  hint?: string;
}

export function ActionDialog(props: {
  title: string;
  intro?: Child;
  fields: DialogField[];
  submitLabel: string;
  /** does the action; a thrown error's message is shown in the dialog. */
  onSubmit: (values: Record<string, string>) => Promise<void>;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [values, setValues] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      data-testid="action-dialog"
      onClose={() => props.onClose()}
      onCancel={(event: Event) => {
        event.preventDefault();
        props.onClose();
      }}
    >
      <form
        class="dialog-form"
        onSubmit={async (event: Event) => {
          event.preventDefault();
          setBusy(true);
          setError(null);
          try {
            await props.onSubmit(values);
            props.onClose();
          } catch (err) {
            setError((err as Error).message);
            setBusy(false);
          }
        }}
      >
        <h2 class="dialog-title">{props.title}</h2>
        {props.intro ? <div class="muted">{props.intro}</div> : null}
        {props.fields.map((field, i) => (
          <label key={field.name}>
            {field.label}
            <input
              name={field.name}
              placeholder={field.placeholder}
              value={values[field.name] ?? ''}
              autofocus={i === 0}
              required
              onInput={(event: Event) =>
                setValues((before) => ({ ...before, [field.name]: (event.target as HTMLInputElement).value }))
              }
            />
            {field.hint ? <span class="hint">{field.hint}</span> : null}
          </label>
        ))}
        {error ? (
          <p class="error" role="alert" data-testid="dialog-error">
            {error}
          </p>
        ) : null}
        <div class="dialog-buttons">
          <button type="button" onClick={() => props.onClose()}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Sending…' : props.submitLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
