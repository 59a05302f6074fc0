/** Minimal typing of the `onvif` package (it ships none): only what services/capture/ptz.ts uses. */
declare module 'onvif' {
  export class Cam {
    constructor(
      options: {
        hostname: string;
        port?: number;
        username?: string | undefined;
        password?: string | undefined;
        timeout?: number;
        preserveAddress?: boolean;
      },
      callback?: (err: Error | null) => void,
    );
  }
}
