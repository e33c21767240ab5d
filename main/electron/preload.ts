// The preload exposes the Idlewatch API to the sandboxed renderer through contextBridge.
// It arrives with the typed IPC contract in the desktop-app issue (#3); until then it exposes nothing.
export {};
