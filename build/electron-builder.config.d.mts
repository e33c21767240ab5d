// Types of electron-builder.config.mjs, for the tests that import it.
import type { Configuration } from 'electron-builder';

export declare const INSTALLED_HELPER: string;
export declare const POLKIT_ACTION: string;
export declare const CLI_ON_PATH: string;
export declare const LINUX_EXECUTABLE: string;
export declare const SYSTEM_FILES: readonly { from: string; to: string; mode: number }[];
export declare function stageSystemFiles(): void;
declare const config: Configuration;
export default config;
