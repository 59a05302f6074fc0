/** A field's validation message, shown right under it. */
export function FieldError({ message }: { message: string | undefined }) {
  if (message === undefined) return null;
  return (
    <span className="field-error" role="alert" data-testid="field-error">
      {message}
    </span>
  );
}
