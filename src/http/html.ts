/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** A minimal self-contained page (no external assets), for the browser half of the consent flow. */
export function renderPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · calendar-edge</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2328}
h1{font-size:1.5rem}code,.token{font-family:ui-monospace,monospace;background:#f6f8fa;padding:.2rem .4rem;border-radius:4px;word-break:break-all}
.token{display:block;padding:.75rem;margin:.5rem 0;border:1px solid #d0d7de}.warn{color:#9a6700}.err{color:#cf222e}
a.button{display:inline-block;background:#0969da;color:#fff;padding:.5rem 1rem;border-radius:6px;text-decoration:none}</style>
</head><body>${body}</body></html>`;
}
