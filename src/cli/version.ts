// The version shown by --version and the console's gateway list.
export const VERSION = '0.1.0';
