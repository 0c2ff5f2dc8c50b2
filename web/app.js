// Ringside's browser side: htmx + its WebSocket extension apply the server's
// hx-swap-oob fragments; this file adds what HTML cannot do by itself: ticking timers,
// inserting fragments for things new to the page, the reconnect banner, and
// notifications + sound for screen-pop cards. The CSP forbids inline script, so every
// behaviour lives here, bound by data- attributes.
import htmx from 'htmx.org'
import 'htmx-ext-ws'

window.htmx = htmx
// Defence in depth against server text that ever turns into markup: htmx evaluates no
// script (hx-on, js: values, <script> in swapped content), and requests only this origin.
htmx.config.allowEval = false
htmx.config.allowScriptTags = false
htmx.config.selfRequestsOnly = true
htmx.config.historyCacheSize = 0 // no copies of pages in localStorage

// A refused or failed action still says why in the toast: its answer is a templ-escaped
// message, and the #toast box carries hx-disable.
document.addEventListener('htmx:beforeSwap', (e) => {
  const target = e.detail.target
  if (target && target.id === 'toast' && e.detail.xhr.status >= 400) {
    e.detail.shouldSwap = true
    e.detail.isError = false
  }
})
// Reconnect soon after a drop (the extension's default backoff grows to a minute): a
// wallboard must come back within seconds of the server or the network doing so.
htmx.config.wsReconnectDelay = (retries) => Math.min(500 * 2 ** retries, 5000) * (0.5 + Math.random() / 2)

// ---- timers ---------------------------------------------------------------
// Elements with data-since="RFC3339" show the time elapsed since then. The server
// renders the right text; we keep it moving, corrected for the clock difference
// between this browser and the server (body data-now is the render time).
let skew = 0

// The page's language: body data-i18n holds the catalog strings this file shows and
// the language, whose digits figures are written in (Persian: ۰–۹).
let I18N = {}
function readI18N () {
  try { I18N = JSON.parse(document.body.dataset.i18n || '{}') } catch (_) { I18N = {} }
}
function digits (s) {
  if (I18N.lang !== 'fa') return s
  return String(s).replace(/[0-9]/g, (d) => '۰۱۲۳۴۵۶۷۸۹'[d])
}
function tr (key, fallback) { return I18N[key] || fallback }

function readSkew () {
  const now = Date.parse(document.body.dataset.now || '')
  if (!isNaN(now)) skew = Date.now() - now
}

function clock (s) {
  s = Math.max(0, Math.floor(s))
  const two = (n) => String(n).padStart(2, '0')
  if (s >= 86400) {
    return tr('daysHours', '{d}d {h}h').replace('{d}', digits(Math.floor(s / 86400))).replace('{h}', digits(Math.floor((s % 86400) / 3600)))
  }
  if (s >= 3600) return digits(Math.floor(s / 3600) + ':' + two(Math.floor((s % 3600) / 60)) + ':' + two(s % 60))
  return digits(two(Math.floor(s / 60)) + ':' + two(s % 60))
}

// hhmm is a wall clock in the server's time zone (data-clock), so it agrees with the
// times on the page; the browser's own zone when the name is not one Intl knows.
function hhmm (d, zone) {
  try {
    return digits(new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: zone }).format(d))
  } catch (_) {
    return digits(String(d.getHours()).padStart(2, '0') + ':' + String(d.getMinutes()).padStart(2, '0'))
  }
}

function tick () {
  const now = Date.now() - skew
  for (const el of document.querySelectorAll('[data-since]')) {
    const t = Date.parse(el.dataset.since)
    if (isNaN(t)) continue
    const s = (now - t) / 1000
    const text = clock(s)
    if (el.textContent !== text) el.textContent = text
    // Thresholds (queue longest wait): colour the timer and its tile as time passes.
    const red = parseFloat(el.dataset.red)
    const warn = parseFloat(el.dataset.warn)
    if (!isNaN(red) || !isNaN(warn)) {
      const tile = el.closest('.tile') || el
      tile.classList.toggle('live-red', !isNaN(red) && s > red)
      tile.classList.toggle('live-amber', !isNaN(warn) && s > warn && !(s > red))
    }
  }
  for (const el of document.querySelectorAll('[data-clock]')) el.textContent = hhmm(new Date(now), el.dataset.clock)
}

// ---- fragments for new things --------------------------------------------
// A fragment with hx-swap-oob="true" replaces the element with its id. Fragments that
// may be new to the page (a new call, agent or queue) say where they go with
// data-upsert="position:#container". Before htmx applies a message, each such fragment
// whose element the page lacks gets an empty placeholder there, which the swap then
// replaces; a removal (hx-swap-oob="delete") of something this page never showed gets a
// hidden one to remove. So htmx never meets a fragment without a target, and the console
// stays free of htmx:oobErrorNoTarget on normal pages.
document.addEventListener('htmx:wsBeforeMessage', (e) => {
  const tpl = document.createElement('template')
  tpl.innerHTML = e.detail.message
  for (const el of tpl.content.children) placeholderFor(el)
})

function placeholderFor (el) {
  const oob = el.getAttribute('hx-swap-oob') || 'true'
  if (!el.id || !['true', 'outerHTML', 'delete'].includes(oob) || document.getElementById(el.id)) return
  const where = el.dataset.upsert || ''
  const i = where.indexOf(':')
  const container = i > 0 ? document.querySelector(where.slice(i + 1)) : null
  const ph = document.createElement(el.tagName)
  ph.id = el.id
  ph.hidden = true
  if (container) container.insertAdjacentElement(where.slice(0, i), ph)
  else if (oob === 'delete') document.body.appendChild(ph)
}

// A row or card prepended into a list that already shows it (the same id) replaces it
// instead: a call that rings the same agent twice keeps one card, a caller who abandons
// twice keeps one row.
document.addEventListener('htmx:oobBeforeSwap', (e) => {
  const d = e.detail
  if (!d || !d.fragment || !d.target) return
  const card = d.fragment.firstElementChild
  const old = card && card.id && document.getElementById(card.id)
  if (!old) return
  old.replaceWith(card)
  htmx.process(card)
  d.shouldSwap = false
})

// A call record prepended live counts in the page's total ([data-count]).
document.addEventListener('htmx:oobAfterSwap', (e) => {
  const d = e.detail
  if (!d || !d.shouldSwap || d.counted || !d.target || d.target.id !== 'cdr-rows') return
  d.counted = true
  for (const el of document.querySelectorAll('[data-count]')) {
    const n = (parseInt(el.dataset.count, 10) || 0) + 1
    el.dataset.count = String(n)
    el.textContent = el.dataset.countText ? countText(el, n) : n.toLocaleString(numberLocale())
  }
})

// numberLocale formats counts as the server does (Persian digits for fa).
function numberLocale () {
  return { fa: 'fa-IR', cs: 'cs-CZ', fr: 'fr-FR', ru: 'ru-RU' }[I18N.lang] || 'en-US'
}

// countText is a count in its plural form: data-count-text holds the catalog's forms
// by CLDR category ({"one":"{n} hovor","few":"{n} hovory",...}).
function countText (el, n) {
  let forms = {}
  try { forms = JSON.parse(el.dataset.countText) } catch (_) {}
  const cat = new Intl.PluralRules(I18N.lang === 'en-XA' ? 'en' : (I18N.lang || 'en')).select(n)
  return (forms[cat] || forms.other || '{n}').replace('{n}', n.toLocaleString(numberLocale()))
}

// Lists with data-max keep that many rows after prepends.
function trim (container) {
  const max = parseInt(container.dataset.max, 10)
  if (!max) return
  for (const r of [...container.children].slice(max)) r.remove()
}
document.addEventListener('htmx:wsAfterMessage', () => {
  for (const c of document.querySelectorAll('[data-max]')) trim(c)
  tick()
})

// ---- wallboard order and TV pages -----------------------------------------
// Agents on the wallboard are grouped by state (the server renders data-rank: on a
// call, ringing, paused, available, offline last) and by name within a group; a row
// replaced live moves to its group.
function sortAgents () {
  const box = document.getElementById('agent-rows')
  if (!box) return
  const rows = [...box.children]
  const rank = (r) => parseInt(r.dataset.rank, 10)
  const sorted = rows.slice().sort((a, b) => (rank(a) - rank(b)) ||
    (a.dataset.name || '').localeCompare(b.dataset.name || '', I18N.lang || 'en', { sensitivity: 'base' }))
  if (sorted.some((r, i) => r !== rows[i])) box.append(...sorted)
}

// On the TV, lists that do not fit their place (data-pages: agents, active calls and
// callers to call back by the rows that fit the panel's height, queue tiles by one row
// of the grid) show a page at a time: each turn (every data-page-s seconds, the
// tv_page_s key) the next page starts after the last item shown, and after the end the
// first page comes again, so every item comes up in a round even when a page holds
// fewer (a taller row above it).
// The panel says which page it shows. Nothing is faded out or cut.
let turned = false
function paginate () {
  if (!document.body.classList.contains('tv')) return
  for (const box of document.querySelectorAll('[data-pages]')) paginateBox(box, turned)
  turned = false
}

function paginateBox (box, turn) {
  const items = [...box.children].filter((el) => !el.hidden && !el.classList.contains('empty-note'))
  for (const el of items) el.classList.remove('off-page')
  const per = Math.max(1, box.dataset.pages === 'tiles' ? tilesPerRow(box) : rowsThatFit(box, items))
  let start = parseInt(box.dataset.start, 10) || 0
  if (turn) start += parseInt(box.dataset.shown, 10) || per
  if (start >= items.length || items.length <= per) start = 0
  items.forEach((el, i) => el.classList.toggle('off-page', i < start || i >= start + per))
  box.dataset.start = String(start)
  box.dataset.shown = String(Math.min(per, items.length - start))
  const pages = Math.ceil(items.length / per)
  const note = document.querySelector('[data-page-of="' + box.id + '"]')
  if (!note) return
  note.hidden = pages < 2
  const page = Math.min(pages, Math.ceil(start / per) + 1)
  note.textContent = (note.dataset.text || '{n}/{of}').replace('{n}', digits(page)).replace('{of}', digits(pages))
}

// tilesPerRow is how many queue tiles one row of the grid holds.
function tilesPerRow (box) {
  return getComputedStyle(box).gridTemplateColumns.split(' ').filter(Boolean).length
}

// rowsThatFit counts the rows (all shown) whose bottom is within the list's panel.
function rowsThatFit (box, items) {
  const panel = box.closest('.panel') || box
  const bottom = panel.getBoundingClientRect().bottom - 4
  let n = 0
  for (const el of items) {
    if (el.getBoundingClientRect().bottom <= bottom) n++
  }
  return n
}

function startPages () {
  if (!document.body.classList.contains('tv')) return
  const wb = document.querySelector('[data-page-s]')
  const secs = parseFloat(wb && wb.dataset.pageS) || 10
  paginate()
  setInterval(() => { turned = true; paginate() }, secs * 1000)
  window.addEventListener('resize', paginate)
}

document.addEventListener('htmx:wsAfterMessage', () => {
  sortAgents()
  paginate()
})

// ---- agent page over a shift ------------------------------------------------
// A call that ended keeps its open card (#pops data-collapse-s seconds, the
// ended_card_s key), then the card folds away into "My recent calls", which lists the
// call already (its row lights up a moment). One ended card at most, the latest. A card
// folded or dismissed stays away when a later update of its call (the recording, the
// record) arrives; the page stays as tall at the end of a shift as at its start.
const folded = new Set()
function foldEndedCards () {
  const pops = document.getElementById('pops')
  if (!pops) return
  const keep = (parseFloat(pops.dataset.collapseS) || 30) * 1000
  const now = Date.now() - skew
  const ended = []
  for (const c of pops.querySelectorAll('.pop-card')) {
    if (folded.has(c.id)) c.remove()
    else if (c.dataset.ended) ended.push(c)
  }
  ended.sort((a, b) => Date.parse(b.dataset.ended) - Date.parse(a.dataset.ended))
  ended.forEach((c, i) => {
    if (i > 0 || !(now - Date.parse(c.dataset.ended) < keep)) fold(c)
  })
}

function fold (card) {
  forget(card)
  card.remove()
  const row = document.getElementById('recent-' + card.id.replace(/^pop-/, ''))
  if (!row) return
  row.classList.add('folded')
  setTimeout(() => row.classList.remove('folded'), 4000)
}

function forget (card) {
  folded.add(card.id)
  if (folded.size > 1000) folded.delete(folded.values().next().value)
}
document.addEventListener('htmx:wsAfterMessage', foldEndedCards)

// ---- connection banner ----------------------------------------------------
function banner (down) {
  const b = document.getElementById('conn')
  if (b) b.hidden = !down
  document.body.classList.toggle('offline', down)
  document.body.dataset.live = down ? '0' : '1'
}
document.addEventListener('htmx:wsOpen', () => banner(false))
document.addEventListener('htmx:wsClose', () => banner(true))
document.addEventListener('htmx:wsError', () => banner(true))

// ---- screen-pop notifications --------------------------------------------
// A new ringing .pop-card while the tab is hidden: a browser notification and a beep.
// Permission is asked on the first click (browsers refuse prompts without a gesture),
// which also unlocks audio playback.
const seen = new Set()
let beep = null

function askPermission () {
  const hint = document.getElementById('alerts-hint')
  if (hint) hint.hidden = true
  if ('Notification' in window && Notification.permission === 'default') {
    Notification.requestPermission().catch(() => {})
  }
  if (!beep) {
    const src = document.body.dataset.beep
    if (src) {
      beep = new Audio(src)
      beep.preload = 'auto'
    }
  }
}

function announce (card) {
  if (!card.id || seen.has(card.id)) return
  seen.add(card.id)
  if (!card.classList.contains('st-ringing') || !document.hidden) return
  const text = (sel) => {
    const t = ((card.querySelector(sel) || {}).textContent || '').trim()
    return t === '—' ? '' : t
  }
  const title = tr('js_new_call', 'Incoming call') + ' ' + text('.pop-number')
  const body = [text('.pop-contact'), text('.pop-company'), text('.pop-queue')].filter(Boolean).join(' · ')
  if ('Notification' in window && Notification.permission === 'granted') {
    try {
      const n = new Notification(title, { body, tag: card.id, requireInteraction: false })
      n.onclick = () => { window.focus(); n.close() }
    } catch (_) { /* some browsers allow notifications only from a service worker */ }
  }
  if (beep) {
    beep.currentTime = 0
    beep.play().catch(() => {})
  }
}

function watchPops () {
  if (!document.getElementById('pops')) return
  document.body.dataset.beep = document.body.dataset.beep || '/static/beep.wav'
  for (const c of document.querySelectorAll('.pop-card')) seen.add(c.id)
  document.addEventListener('click', askPermission, { once: true })
  document.addEventListener('keydown', askPermission, { once: true })
  new MutationObserver((muts) => {
    for (const m of muts) {
      for (const n of m.addedNodes) {
        if (n.nodeType !== 1) continue
        if (n.classList.contains('pop-card')) announce(n)
        for (const c of n.querySelectorAll('.pop-card')) announce(c)
      }
    }
  }).observe(document.body, { childList: true, subtree: true })
}

// ---- small controls -------------------------------------------------------
let player = null
document.addEventListener('click', (e) => {
  const t = e.target.closest('[data-dismiss],[data-play],[data-reveal],[data-copy]')
  if (!t) return
  if (t.hasAttribute('data-dismiss')) {
    const card = t.closest('.pop-card')
    if (card) {
      forget(card)
      card.remove()
    }
  } else if (t.hasAttribute('data-play')) {
    // One shared player for the CDR table's play buttons; a second click pauses.
    e.preventDefault()
    const src = t.dataset.play
    if (player && player.dataset.src === src && !player.paused) {
      player.pause()
      return
    }
    if (player) player.pause()
    for (const b of document.querySelectorAll('[data-play].playing')) b.classList.remove('playing')
    player = new Audio(src)
    player.dataset.src = src
    player.addEventListener('ended', () => t.classList.remove('playing'))
    player.addEventListener('pause', () => t.classList.remove('playing'))
    player.play().then(() => t.classList.add('playing')).catch(() => { window.location.href = t.href })
  } else if (t.hasAttribute('data-reveal')) {
    const box = t.closest('.secret')
    if (box) box.classList.toggle('revealed')
    t.textContent = box && box.classList.contains('revealed') ? t.dataset.hideLabel : t.dataset.showLabel
  } else if (t.hasAttribute('data-copy')) {
    const src = document.getElementById(t.dataset.copy)
    if (src && navigator.clipboard) {
      navigator.clipboard.writeText(src.textContent.trim()).then(() => {
        const label = t.textContent
        t.textContent = tr('js_copied', label)
        setTimeout(() => { t.textContent = label }, 1500)
      })
    }
  }
})

// Filter forms submit on change of a select (Enter submits text fields as usual).
document.addEventListener('change', (e) => {
  const f = e.target.closest('form[data-autosubmit]')
  if (f && e.target.tagName === 'SELECT') f.requestSubmit()
})

function start () {
  readI18N()
  for (const b of document.querySelectorAll('.lang-menu .lang-save')) b.hidden = true
  readSkew()
  tick()
  setInterval(tick, 1000)
  watchPops()
  foldEndedCards()
  setInterval(foldEndedCards, 1000)
  sortAgents()
  startPages()
}
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start)
else start()
