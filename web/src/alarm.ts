/**
 * The new-alert alarm: a short two-tone beep through Web Audio (no audio file to ship), muted by a toggle
 * persisted in localStorage. Browsers only let audio start after a user gesture; the context is created
 * lazily and resumed on the next click or key press anywhere (`installGestureUnlock`); until then the header
 * shows that the sound is blocked (`audioBlocked`).
 */
export const MUTE_KEY = 'towerwatch.alarmMuted';

export function readMuted(): boolean {
  try {
    return globalThis.localStorage?.getItem(MUTE_KEY) === '1';
  } catch {
    return false;
  }
}

export function writeMuted(muted: boolean): void {
  try {
    globalThis.localStorage?.setItem(MUTE_KEY, muted ? '1' : '0');
  } catch {
    // not persisted
  }
}

let ctx: AudioContext | null = null;

function context(): AudioContext | null {
  if (ctx !== null) return ctx;
  const Ctor = (globalThis as { AudioContext?: typeof AudioContext }).AudioContext;
  if (Ctor === undefined) return null;
  ctx = new Ctor();
  return ctx;
}

const audioListeners = new Set<() => void>();

/** Unlocks audio on a user gesture (call from a click handler once). */
export function unlockAudio(): void {
  const c = context();
  if (c !== null && c.state === 'suspended') void c.resume().catch(() => undefined);
}

/**
 * True while the browser holds the alarm's audio until a user gesture: after a reload or a direct navigation
 * with a restored session there was no login click, so a new alert would be silent. False where Web Audio is
 * missing (nothing the user can do) or once audio runs.
 */
export function audioBlocked(): boolean {
  const c = context();
  return c !== null && c.state !== 'running';
}

/** Subscribe to changes of `audioBlocked()` (for `useSyncExternalStore`); returns the unsubscribe function. */
export function subscribeAudio(listener: () => void): () => void {
  const c = context();
  audioListeners.add(listener);
  if (c !== null) c.onstatechange = () => audioListeners.forEach((l) => l());
  return () => audioListeners.delete(listener);
}

/**
 * Unlocks audio on the first pointer or key gesture anywhere on the page (capture phase, so no handler can
 * swallow it), for consoles that were reloaded rather than logged into. Returns the remover.
 */
export function installGestureUnlock(target: EventTarget = globalThis): () => void {
  const handler = (): void => unlockAudio();
  for (const type of ['pointerdown', 'keydown']) target.addEventListener(type, handler, { capture: true });
  return () => {
    for (const type of ['pointerdown', 'keydown'])
      target.removeEventListener(type, handler, { capture: true });
  };
}

/** Plays the alarm (three short beeps, alternating 880 / 660 Hz). No-op where Web Audio is missing. */
export function beep(): void {
  const c = context();
  if (c === null) return;
  if (c.state === 'suspended') void c.resume().catch(() => undefined);
  const start = c.currentTime + 0.02;
  for (let i = 0; i < 3; i++) {
    const t = start + i * 0.28;
    const osc = c.createOscillator();
    const gain = c.createGain();
    osc.type = 'square';
    osc.frequency.value = i % 2 === 0 ? 880 : 660;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.25, t + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.22);
    osc.connect(gain).connect(c.destination);
    osc.start(t);
    osc.stop(t + 0.24);
  }
}
