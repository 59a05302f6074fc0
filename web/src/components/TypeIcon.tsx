import type { Alert } from '../../../services/schemas/api.ts';

/** Small inline icons (no icon font / emoji: the video-wall PCs may lack the fonts). */
export function TypeIcon({ type }: { type: Alert['type'] }) {
  const common = {
    width: 28,
    height: 28,
    viewBox: '0 0 24 24',
    'aria-hidden': true,
    focusable: false,
  } as const;
  switch (type) {
    case 'hotspot':
      return (
        <svg {...common} className="type-icon">
          <path
            fill="currentColor"
            d="M12 2c1 3.5 5 6 5 11a5 5 0 0 1-10 0c0-2.2 1-3.9 2.3-5.2.2 1.7.9 2.9 2.2 3.7C11 9 11.6 5.3 12 2Zm0 19a2.5 2.5 0 0 0 2.5-2.5c0-1.6-1.2-2.6-2.2-3.8-.4 1.3-1.2 2-2 2.6a2.5 2.5 0 0 0 1.7 3.7Z"
          />
        </svg>
      );
    case 'smoke':
      return (
        <svg {...common} className="type-icon">
          <path
            fill="currentColor"
            d="M7 18a4 4 0 0 1-.6-7.96A5.5 5.5 0 0 1 17 8.5a4.75 4.75 0 0 1 .25 9.5H7Zm-3 3h14v1.5H4V21Zm3-19.5h8V3H7V1.5Z"
          />
        </svg>
      );
    case 'dust':
      return (
        <svg {...common} className="type-icon">
          <path
            fill="none"
            stroke="currentColor"
            strokeWidth="2"
            strokeLinecap="round"
            d="M3 8h11a3 3 0 1 0-3-3M3 12h16a3 3 0 1 1-3 3M3 16h8"
          />
          <circle cx="19" cy="7" r="1.2" fill="currentColor" />
          <circle cx="14" cy="19" r="1.2" fill="currentColor" />
          <circle cx="6" cy="20" r="1" fill="currentColor" />
        </svg>
      );
  }
}
