/* The checkpoint's pass check (issue 16). Offline first: the pass ("FK1:" + Base45 of the
   zlib of a COSE_Sign1 over a CBOR Web Token, as the EU DCC) is decoded here, its ES256
   signature verified with WebCrypto against the published key list kept in localStorage,
   then, when online, the server says whether it was revoked. No crypto of our own: WebCrypto
   verifies; zlib is the browser's DecompressionStream; the QR is read by jsQR (npm). */
(function () {
  "use strict";
  const root = document.getElementById("pass-check");
  if (!root) return;
  const words = JSON.parse(document.getElementById("pass-words").textContent);
  const KEYS_STORE = "fangkong.pass-keys";
  const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

  // ── decoding ──────────────────────────────────────────────────────────────────────────
  function base45(text) {
    const out = [];
    for (let i = 0; i < text.length; i += 3) {
      const chunk = text.slice(i, i + 3);
      let n = 0;
      for (let j = chunk.length - 1; j >= 0; j--) {
        const v = B45.indexOf(chunk[j]);
        if (v < 0) throw new Error("base45");
        n = n * 45 + v;
      }
      if (chunk.length === 3) {
        if (n > 0xffff) throw new Error("base45");
        out.push(n >> 8, n & 0xff);
      } else if (chunk.length === 2) {
        if (n > 0xff) throw new Error("base45");
        out.push(n);
      } else throw new Error("base45");
    }
    return new Uint8Array(out);
  }

  async function inflate(bytes) {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    const buffer = await new Response(stream).arrayBuffer();
    if (buffer.byteLength > 8192) throw new Error("zlib");
    return new Uint8Array(buffer);
  }

  // A small CBOR (RFC 8949) reader for what a pass holds: integers, byte and text strings,
  // arrays, maps, tags, simple values and floats. Definite lengths only (as COSE requires).
  function cbor(bytes) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    function length(info) {
      if (info < 24) return info;
      if (info === 24) return view.getUint8(at++);
      if (info === 25) { const v = view.getUint16(at); at += 2; return v; }
      if (info === 26) { const v = view.getUint32(at); at += 4; return v; }
      if (info === 27) {
        const v = view.getBigUint64(at); at += 8;
        if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error("cbor");
        return Number(v);
      }
      throw new Error("cbor");
    }
    function item(depth) {
      if (depth > 16 || at >= bytes.length) throw new Error("cbor");
      const head = view.getUint8(at++);
      const major = head >> 5, info = head & 31;
      if (major === 7) {
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22 || info === 23) return null;
        if (info === 25) { const v = getFloat16(view.getUint16(at)); at += 2; return v; }
        if (info === 26) { const v = view.getFloat32(at); at += 4; return v; }
        if (info === 27) { const v = view.getFloat64(at); at += 8; return v; }
        throw new Error("cbor");
      }
      const n = length(info);
      switch (major) {
        case 0: return n;
        case 1: return -1 - n;
        case 2: { if (at + n > bytes.length) throw new Error("cbor"); const b = bytes.slice(at, at + n); at += n; return b; }
        case 3: { if (at + n > bytes.length) throw new Error("cbor"); const t = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(at, at + n)); at += n; return t; }
        case 4: { const a = []; for (let i = 0; i < n; i++) a.push(item(depth + 1)); return a; }
        case 5: { const m = new Map(); for (let i = 0; i < n; i++) { const k = item(depth + 1); m.set(k, item(depth + 1)); } return m; }
        case 6: return { tag: n, value: item(depth + 1) };
      }
      throw new Error("cbor");
    }
    const value = item(0);
    if (at !== bytes.length) throw new Error("cbor");
    return value;
  }
  function getFloat16(h) {
    const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
    if (e === 0) return s * Math.pow(2, -14) * (f / 1024);
    if (e === 31) return f ? NaN : s * Infinity;
    return s * Math.pow(2, e - 15) * (1 + f / 1024);
  }

  // CBOR encoding of Sig_structure ["Signature1", protected, h'', payload] (RFC 9052 §4.4).
  function head(major, n) {
    if (n < 24) return [(major << 5) | n];
    if (n < 256) return [(major << 5) | 24, n];
    if (n < 65536) return [(major << 5) | 25, n >> 8, n & 0xff];
    return [(major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  }
  function sigStructure(prot, payload) {
    const label = new TextEncoder().encode("Signature1");
    const parts = [head(4, 4), head(3, label.length), label, head(2, prot.length), prot,
      head(2, 0), head(2, payload.length), payload];
    const size = parts.reduce((s, p) => s + p.length, 0);
    const out = new Uint8Array(size);
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }

  function b64(bytes) { return btoa(String.fromCharCode.apply(null, Array.from(bytes))); }

  // ── keys ──────────────────────────────────────────────────────────────────────────────
  function storedKeys() {
    try { return JSON.parse(localStorage.getItem(KEYS_STORE) || "null"); } catch (e) { return null; }
  }
  async function fetchKeys() {
    const response = await fetch(root.dataset.keys, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error("keys");
    const set = await response.json();
    const entry = { fetched: Date.now(), set: set };
    localStorage.setItem(KEYS_STORE, JSON.stringify(entry));
    return entry;
  }
  async function keys() {
    const stored = storedKeys();
    const hours = stored && stored.set.refresh_hours;
    const fresh = stored && hours && Date.now() - stored.fetched < hours * 3600e3;
    if (fresh) return stored;
    try { return await fetchKeys(); } catch (e) { return stored; }
  }
  function showKeys(entry) {
    const el = document.getElementById("keys-state");
    el.textContent = entry ? words.keys_at + ": " + new Date(entry.fetched).toLocaleString() : words.no_keys;
  }

  // ── verification ──────────────────────────────────────────────────────────────────────
  const ISS = 1, EXP = 4, IAT = 6, CLAIM = -260;

  async function verifyOffline(text, entry, now) {
    let parsed;
    try {
      text = text.trim();
      if (!text.startsWith("FK1:") || text.length > 4096) throw new Error("prefix");
      let message = cbor(await inflate(base45(text.slice(4))));
      if (message && message.tag !== undefined) {
        if (message.tag !== 18) throw new Error("tag");
        message = message.value;
      }
      const [prot, , payload, signature] = message;
      const header = cbor(prot), claims = cbor(payload);
      if (header.get(1) !== -7 || !(header.get(4) instanceof Uint8Array)) throw new Error("alg");
      if (!(signature instanceof Uint8Array) || signature.length !== 64) throw new Error("sig");
      parsed = { prot, payload, signature, kid: b64(header.get(4)), claims };
    } catch (e) {
      return { reason: "malformed", claims: new Map() };
    }
    const raw = parsed.claims.get(CLAIM);
    const pass = raw instanceof Map ? raw : new Map();
    const result = { reason: "", claims: pass, exp: parsed.claims.get(EXP), iat: parsed.claims.get(IAT), iss: parsed.claims.get(ISS) };
    if (!entry) return Object.assign(result, { reason: "no_keys" });
    const candidates = entry.set.keys.filter((k) => k.kid === parsed.kid);
    if (!candidates.length) return Object.assign(result, { reason: "unknown_key" });
    const data = sigStructure(parsed.prot, parsed.payload);
    let signer = null;
    for (const jwk of candidates) {
      const key = await crypto.subtle.importKey("jwk", { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y, ext: true },
        { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
      if (await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, parsed.signature, data)) { signer = jwk; break; }
    }
    if (!signer) return Object.assign(result, { reason: "bad_signature" });
    const seconds = now / 1000;
    if (typeof result.exp !== "number" || typeof result.iat !== "number") return Object.assign(result, { reason: "malformed" });
    if (signer.exp && seconds >= signer.exp) return Object.assign(result, { reason: "key_retired" });
    if (seconds >= result.exp) return Object.assign(result, { reason: "expired" });
    if (result.iat > seconds + (entry.set.tolerance_seconds || 0)) return Object.assign(result, { reason: "not_yet_valid" });
    return Object.assign(result, { reason: "valid" });
  }

  async function verifyOnline(text) {
    const response = await fetch(root.dataset.verify, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ code: text.trim() }),
    });
    if (!response.ok) throw new Error("online");
    return response.json();
  }

  // ── the screen ────────────────────────────────────────────────────────────────────────
  function set(id, value) { document.getElementById(id).textContent = value || "—"; }

  function show(result) {
    const section = document.getElementById("verdict");
    section.hidden = false;
    section.dataset.reason = result.reason;
    const headEl = document.getElementById("verdict-head");
    headEl.textContent = words[result.reason] || result.reason;
    headEl.className = "verdict " + (result.reason === "valid" ? "ok" : "bad");
    const c = result.claims;
    const kind = c.get("k");
    set("v-holder", kind === "vehicle" ? words.vehicle + " " + (c.get("pl") || "") : (kind ? words.courier + " " : "") + (c.get("nm") || ""));
    const hints = [c.get("id"), c.get("sx") ? words["sex_" + c.get("sx")] : "", c.get("by") ? words.born + " " + c.get("by") : ""].filter(Boolean);
    set("v-hints", hints.join(" · "));
    set("v-enterprise", c.get("ent"));
    set("v-area", c.get("area"));
    set("v-expires", typeof result.exp === "number" ? new Date(result.exp * 1000).toLocaleString() : "");
  }

  async function check(text) {
    const started = performance.now();
    const entry = await keys();
    showKeys(entry);
    const result = await verifyOffline(text, entry, Date.now());
    result.ms = performance.now() - started;
    show(result);
    set("v-online", words.offline);
    if (result.reason !== "valid" || !navigator.onLine) return result;
    try {
      const online = await verifyOnline(text);
      if (online.reason !== "valid") {
        result.reason = online.reason;
        show(result);
        set("v-online", online.message + (online.revoked_reason ? ": " + online.revoked_reason : ""));
      } else set("v-online", words.online_ok);
      document.getElementById("verdict").dataset.online = online.reason;
    } catch (e) {
      set("v-online", words.offline);
    }
    return result;
  }

  // For the browser tests and the benchmark: the offline verdict alone, timed.
  window.fangkongPassCheck = { verifyOffline: verifyOffline, keys: keys, fetchKeys: fetchKeys, check: check };

  document.getElementById("typed").addEventListener("submit", function (event) {
    event.preventDefault();
    check(document.getElementById("pass-text").value);
  });

  // Camera: frames into a canvas, jsQR finds the code.
  let scanning = false;
  document.getElementById("scan-start").addEventListener("click", async function () {
    const video = document.getElementById("scan-video");
    const canvas = document.getElementById("scan-canvas");
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      scanning = true;
      const context = canvas.getContext("2d", { willReadFrequently: true });
      const tick = function () {
        if (!scanning) return;
        if (video.readyState === video.HAVE_ENOUGH_DATA) {
          canvas.width = video.videoWidth;
          canvas.height = video.videoHeight;
          context.drawImage(video, 0, 0, canvas.width, canvas.height);
          const image = context.getImageData(0, 0, canvas.width, canvas.height);
          const found = window.jsQR && window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
          if (found && found.data.startsWith("FK1:")) {
            scanning = false;
            stream.getTracks().forEach((t) => t.stop());
            video.hidden = true;
            document.getElementById("pass-text").value = found.data;
            check(found.data);
            return;
          }
        }
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    } catch (e) {
      set("v-online", "");
      const headEl = document.getElementById("verdict-head");
      document.getElementById("verdict").hidden = false;
      headEl.textContent = words.camera_failed;
      headEl.className = "verdict bad";
    }
  });

  keys().then(showKeys);
})();
