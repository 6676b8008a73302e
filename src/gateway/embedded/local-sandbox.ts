/** The name of the one sandbox a standalone core stands for (also its name on the gateway API). */
export const LOCAL_SANDBOX = 'local';
