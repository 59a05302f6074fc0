/**
 * Form fields of the console's forms (alert review, case actions, dispatch): one labelled field with its
 * validation message right under it, linked with `aria-describedby` and marked `aria-invalid`.
 * `SelectField` and `TextAreaField` cover the common controls; `Field` wraps any other control.
 */
import { useId, type Dispatch, type FormEvent, type ReactNode, type SetStateAction } from 'react';
import { withoutChangedField, type FieldErrors } from '../validation.ts';

/** A field's validation message, shown right under it. */
export function FieldError({ message, id }: { message: string | undefined; id?: string }) {
  if (message === undefined) return null;
  return (
    <span className="field-error" role="alert" data-testid="field-error" id={id}>
      {message}
    </span>
  );
}

/** ARIA attributes of a control whose error (if any) has the element id `errorId`. */
function errorAria(error: string | undefined, errorId: string) {
  return {
    'aria-invalid': error !== undefined,
    'aria-describedby': error !== undefined ? errorId : undefined,
  };
}

/**
 * A labelled field around any control. `children` gets the ARIA attributes to spread on the control
 * (`aria-invalid`, `aria-describedby` of the error message).
 */
export function Field({
  label,
  error,
  children,
  after,
}: {
  label: ReactNode;
  error: string | undefined;
  children: (aria: ReturnType<typeof errorAria>) => ReactNode;
  /** Shown between the control and the error (e.g. "3 photos chosen"). */
  after?: ReactNode;
}) {
  const errorId = useId();
  return (
    <label className="field">
      <span>{label}</span>
      {children(errorAria(error, errorId))}
      {after}
      <FieldError message={error} id={errorId} />
    </label>
  );
}

/** One option of a {@link SelectField}. */
export interface SelectOption {
  value: string;
  label: string;
}

/** A labelled `<select>` with an optional empty first option (`placeholder`) and its error under it. */
export function SelectField({
  label,
  name,
  value,
  onChange,
  options,
  placeholder,
  error,
  testId,
  extra,
}: {
  label: ReactNode;
  name: string;
  value: string;
  onChange: (value: string) => void;
  options: readonly SelectOption[];
  /** Label of an empty first option ("choose …"); none when undefined. */
  placeholder?: string;
  error: string | undefined;
  testId?: string;
  /** Further `data-*` attributes for the control. */
  extra?: Record<`data-${string}`, string>;
}) {
  return (
    <Field label={label} error={error}>
      {(aria) => (
        <select
          value={value}
          onChange={(e) => onChange(e.target.value)}
          name={name}
          data-testid={testId}
          {...extra}
          {...aria}
        >
          {placeholder !== undefined && <option value="">{placeholder}</option>}
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** A labelled `<textarea>` with its error under it. */
export function TextAreaField({
  label,
  name,
  value,
  onChange,
  rows = 2,
  error,
  testId,
}: {
  label: ReactNode;
  name: string;
  value: string;
  onChange: (value: string) => void;
  rows?: number;
  error: string | undefined;
  testId?: string;
}) {
  return (
    <Field label={label} error={error}>
      {(aria) => (
        <textarea
          name={name}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          rows={rows}
          data-testid={testId}
          {...aria}
        />
      )}
    </Field>
  );
}

/**
 * A console form (`.inline-form`, browser validation off): the fields, then the request failure (if any) and
 * the submit button. Editing a field clears that field's error (`withoutChangedField`); submitting calls
 * `onSubmit` (the default navigation is prevented).
 */
export function InlineForm({
  testId,
  className,
  onSubmit,
  setErrors,
  failure,
  busy,
  submitLabel,
  submitClass,
  submitTestId,
  children,
}: {
  testId: string;
  /** Extra class names besides `inline-form`. */
  className?: string;
  onSubmit: () => Promise<void>;
  setErrors: Dispatch<SetStateAction<FieldErrors>>;
  /** The failed request's message, shown above the button. */
  failure: string | null;
  /** A request is running: the button is disabled. */
  busy: boolean;
  submitLabel: string;
  /** `primary`, `danger`, ... (plain `btn` when undefined). */
  submitClass?: string;
  submitTestId: string;
  children: ReactNode;
}) {
  return (
    <form
      className={className === undefined ? 'inline-form' : `inline-form ${className}`}
      onChange={(e) => setErrors((cur) => withoutChangedField(cur, e))}
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        void onSubmit();
      }}
      noValidate
      data-testid={testId}
    >
      {children}
      {failure !== null && (
        <p className="form-error" role="alert">
          {failure}
        </p>
      )}
      <button
        type="submit"
        className={submitClass === undefined ? 'btn' : `btn ${submitClass}`}
        disabled={busy}
        data-testid={submitTestId}
      >
        {submitLabel}
      </button>
    </form>
  );
}
