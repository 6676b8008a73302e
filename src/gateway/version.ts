// The product version: shown by --version, on the dashboard, and served by the gateway API's Health.
export const VERSION = '0.1.0';
