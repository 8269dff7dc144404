// One id per browser, so that a reconnect from the same browser is the same
// device for the server, never a "second device" (ARCHITECTURE.md, answer path 5).

const DEVICE_KEY = "ardoise:device";

function randomId() {
  if (window.crypto?.randomUUID) return window.crypto.randomUUID();
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function deviceId() {
  try {
    let id = window.localStorage.getItem(DEVICE_KEY);
    if (!id) {
      id = randomId();
      window.localStorage.setItem(DEVICE_KEY, id);
    }
    return id;
  } catch {
    // Storage disabled: an id for this page only is still better than none.
    deviceId.fallback ??= randomId();
    return deviceId.fallback;
  }
}
