// Subscribes this browser to msgbuddy's push notifications when the member asks (the
// button on the notification preferences page), and hands the subscription to the server.
(function () {
  const button = document.getElementById("push-enable");
  const status = document.getElementById("push-status");
  if (!button || !status) return;
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    status.textContent = "This browser cannot receive push notifications.";
    return;
  }
  button.hidden = false;

  // The VAPID key comes base64url-encoded; the browser wants its bytes.
  function bytes(base64url) {
    const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }

  function csrfToken() {
    const meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.getAttribute("content") : "";
  }

  button.addEventListener("click", async () => {
    try {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") {
        status.textContent = "Notifications are blocked for this site in the browser's settings.";
        return;
      }
      const registration = await navigator.serviceWorker.ready;
      const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: bytes(button.dataset.key),
      });
      const json = subscription.toJSON();
      const body = new URLSearchParams({
        csrf_token: csrfToken(),
        endpoint: json.endpoint,
        p256dh: json.keys.p256dh,
        auth: json.keys.auth,
      });
      const answer = await fetch("/api/push/subscribe", {
        method: "POST",
        body,
        headers: { Accept: "application/json" },
      });
      status.textContent = answer.ok
        ? "Push notifications are on for this browser."
        : "msgbuddy could not keep this browser's subscription; try again later.";
    } catch (e) {
      status.textContent = "This browser could not subscribe: " + e.message;
    }
  });
})();
