// Tenure's console: a plugin larger than one request carries, sent from the mapping page.
//
// The upload form works without this script for plugins up to the request limit (the form's
// data-request-limit). For a larger file this script takes over the form's submit: it asks the
// console for an upload URL (POST data-staged-uploads with bytes=<size>), PUTs the file there
// (an S3 presigned URL in AWS, the console's own route elsewhere) with a progress line, then
// completes the upload through the console, whose answer (the trial's report, or the refusal
// with its reason) replaces the page as a one-request upload's does. A failure at any step
// says what failed and what to do; the chosen file and the rest of the page stay as they are.
(() => {
  'use strict';

  /** Sizes as the page writes them (binary units). */
  function size(bytes) {
    const mib = 1024 * 1024;
    if (bytes >= mib) return `${(bytes / mib).toFixed(1)} MiB`;
    if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
    return `${bytes} bytes`;
  }

  /** The error a JSON answer gives, else its status. */
  async function reason(response) {
    try {
      const body = await response.json();
      if (body && typeof body.error === 'string') return body.error;
    } catch {
      // Not JSON: the status says it.
    }
    return `HTTP ${response.status}`;
  }

  /** Headers a browser sets itself and a script may not. */
  const browserSets = new Set(['content-length', 'host']);

  /** PUTs `file` to the ticket's URL, telling `progress(sent)`; resolves or rejects with why. */
  function put(ticket, file, csrfToken, progress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      const own = new URL(ticket.url, window.location.href).origin === window.location.origin;
      xhr.open('PUT', ticket.url);
      for (const [name, value] of Object.entries(ticket.headers ?? {})) {
        if (!browserSets.has(name.toLowerCase())) xhr.setRequestHeader(name, value);
      }
      // The console's own route is behind its authorization layer; a presigned URL is its own
      // credential and gets nothing of the session.
      if (own) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
      xhr.upload.addEventListener('progress', (event) => progress(event.loaded));
      xhr.addEventListener('load', () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          resolve();
          return;
        }
        let why = `HTTP ${xhr.status}`;
        try {
          const body = JSON.parse(xhr.responseText);
          if (typeof body.error === 'string') why = body.error;
        } catch {
          // S3 answers XML: the status says enough.
        }
        reject(new Error(`the storage refused the file (${why})`));
      });
      xhr.addEventListener('error', () =>
        reject(new Error('the connection failed (the network, or storage that does not let this page send to it)')));
      xhr.addEventListener('abort', () => reject(new Error('the upload was stopped')));
      // Without a type, so that the request carries only the headers the URL was signed with.
      xhr.send(file.slice(0, file.size, ''));
    });
  }

  async function upload(form, input, file) {
    const line = form.querySelector('.upload-progress');
    const button = form.querySelector('button[type="submit"], button:not([type])');
    const csrfToken = form.querySelector('input[name="csrf_token"]')?.value ?? '';
    const say = (text, failed = false) => {
      if (!line) return;
      line.textContent = text;
      line.classList.toggle('failed', failed);
    };
    const fail = (what, why, todo) => {
      say(`Not uploaded: ${what}: ${why}. ${todo}`, true);
      input.setAttribute('aria-invalid', 'true');
      if (button) button.disabled = false;
    };
    const again = 'Nothing was kept or put in use; your file is still chosen: choose Check, try and keep to try again.';
    if (button) button.disabled = true;
    input.removeAttribute('aria-invalid');
    form.querySelector('#plugin-error')?.remove();
    say(`${file.name} is ${size(file.size)}, more than one request carries: asking Tenure for an upload URL…`);

    let ticket;
    try {
      const response = await fetch(form.dataset.stagedUploads, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-CSRF-Token': csrfToken },
        body: new URLSearchParams({ bytes: String(file.size) }),
      });
      if (!response.ok) {
        fail('Tenure gave no upload URL', await reason(response), again);
        return;
      }
      ticket = await response.json();
    } catch (error) {
      fail('Tenure could not be asked for an upload URL', error.message, again);
      return;
    }

    try {
      await put(ticket, file, csrfToken, (sent) => {
        const percent = Math.floor((sent / file.size) * 100);
        say(`Uploading ${file.name}: ${size(sent)} of ${size(file.size)} (${percent}%)…`);
      });
    } catch (error) {
      fail('the file did not reach storage', error.message, again);
      return;
    }

    say(`${file.name} uploaded: Tenure is checking it and trying it on sample workers…`);
    // Completed by a form of the page's own, so that the answer replaces the page exactly as a
    // one-request upload's does (htmx swaps it in; without htmx the browser shows it).
    const complete = document.createElement('form');
    complete.method = 'post';
    complete.action = ticket.complete;
    complete.hidden = true;
    // The mapping page's own address in the history, not the completion's (reloading it shows
    // the page again rather than posting).
    if (form.dataset.page) complete.setAttribute('hx-push-url', form.dataset.page);
    const token = document.createElement('input');
    token.type = 'hidden';
    token.name = 'csrf_token';
    token.value = csrfToken;
    complete.append(token);
    form.after(complete);
    const lost = (event) => {
      complete.remove();
      fail('Tenure could not be reached to check it', event.detail?.error ?? 'no answer',
        'Whether it was kept is not known: reload the page to see the versions kept; if it is not among them, choose Check, try and keep again (your file is still chosen).');
    };
    complete.addEventListener('htmx:sendError', lost);
    complete.addEventListener('htmx:responseError', (event) =>
      lost({ detail: { error: `HTTP ${event.detail?.xhr?.status ?? '?'}` } }));
    if (window.htmx) window.htmx.process(complete);
    complete.requestSubmit();
  }

  document.addEventListener(
    'submit',
    (event) => {
      const form = event.target;
      if (!(form instanceof HTMLFormElement) || !form.dataset.stagedUploads) return;
      const input = form.querySelector('input[type="file"]');
      const file = input?.files?.[0];
      const limit = Number(form.dataset.requestLimit);
      if (!file || !Number.isFinite(limit) || file.size <= limit) return;
      // Before htmx's own handler on the form: this submit is the script's.
      event.preventDefault();
      event.stopPropagation();
      upload(form, input, file);
    },
    true,
  );
})();
