// contrast.js: WCAG 2.x contrast of every visible text on the page against its effective
// background, the way axe-core's color-contrast rule computes it: the text colour (its
// alpha and the opacity of its ancestors applied) over the backgrounds behind it, each
// layer composited; a gradient counts with its worst colour stop. Large text (24px, or
// 18.66px bold) needs 3:1, other text 4.5:1. Returns the failures.
(() => {
  // An entrance animation (a card's fade-in, restarted when a push redraws it) is measured
  // at its end, as a reader sees the page once it rests; endless ones (a pulse) stay.
  for (const a of document.getAnimations()) {
    if (a.effect && a.effect.getComputedTiming().iterations !== Infinity) a.finish()
  }
  const parse = (s) => {
    const m = s.match(/rgba?\(([^)]+)\)/)
    if (!m) return null
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number)
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }
  }
  const over = (top, bottom) => { // composite top over an opaque bottom
    const a = top.a
    return { r: top.r * a + bottom.r * (1 - a), g: top.g * a + bottom.g * (1 - a), b: top.b * a + bottom.b * (1 - a), a: 1 }
  }
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4) }
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b)
  }
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05) }
  const gradientStops = (img) => {
    const out = []
    for (const m of img.matchAll(/rgba?\([^)]+\)/g)) out.push(parse(m[0]))
    return out
  }
  // backgrounds lists the opaque colours the element's text may sit on.
  const backgrounds = (el) => {
    const layers = [] // closest first; each a list of alternatives
    for (let e = el; e; e = e.parentElement) {
      const cs = getComputedStyle(e)
      if (cs.backgroundImage && cs.backgroundImage.includes('gradient')) {
        const stops = gradientStops(cs.backgroundImage)
        if (stops.length) { layers.push(stops); if (stops.every((s) => s.a === 1)) break }
      }
      const bg = parse(cs.backgroundColor)
      if (bg && bg.a > 0) { layers.push([bg]); if (bg.a === 1) break }
    }
    let acc = [{ r: 255, g: 255, b: 255, a: 1 }] // the canvas
    for (let i = layers.length - 1; i >= 0; i--) {
      const next = []
      for (const top of layers[i]) for (const b of acc) next.push(over(top, b))
      acc = next
    }
    return acc
  }
  const visible = (el) => {
    const cs = getComputedStyle(el)
    if (cs.visibility !== 'visible' || cs.display === 'none') return false
    const r = el.getBoundingClientRect()
    if (r.width < 1 || r.height < 1) return false
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e)
      if (s.display === 'none' || s.opacity === '0' || e.hidden) return false
      if (s.clip === 'rect(0px, 0px, 0px, 0px)' || (s.clipPath && s.clipPath.startsWith('inset(50%'))) return false
    }
    return true
  }
  const opacity = (el) => { let o = 1; for (let e = el; e; e = e.parentElement) o *= parseFloat(getComputedStyle(e).opacity); return o }
  const describe = (el) => {
    let s = el.tagName.toLowerCase()
    if (el.id) s += '#' + el.id
    if (typeof el.className === 'string' && el.className.trim()) s += '.' + el.className.trim().split(/\s+/).join('.')
    const p = el.parentElement
    if (p && !el.id) s = (p.id ? p.tagName.toLowerCase() + '#' + p.id : p.tagName.toLowerCase() + (typeof p.className === 'string' && p.className.trim() ? '.' + p.className.trim().split(/\s+/)[0] : '')) + ' > ' + s
    return s
  }
  const fails = []
  let checked = 0
  const hex = (c) => '#' + [c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')
  for (const el of document.body.querySelectorAll('*')) {
    if (['SCRIPT', 'STYLE', 'OPTION', 'TEMPLATE', 'NOSCRIPT', 'AUDIO', 'svg'].includes(el.tagName)) continue
    let text = ''
    for (const n of el.childNodes) if (n.nodeType === 3) text += n.textContent
    if (['INPUT', 'TEXTAREA'].includes(el.tagName) && !['hidden', 'checkbox', 'radio', 'range', 'color', 'file'].includes(el.type)) text = el.value || el.placeholder || ''
    if (el.tagName === 'SELECT') text = el.selectedOptions.length ? el.selectedOptions[0].textContent : ''
    text = text.trim()
    if (!text || !visible(el)) continue
    if (el.disabled || el.closest('[aria-disabled=true], .disabled')) continue // inactive controls: exempt
    const cs = getComputedStyle(el)
    const svgText = el instanceof SVGElement
    let fg = parse(svgText ? cs.fill : cs.color)
    if (!fg) continue
    if (fg.a === 0) continue // transparent text (a hidden secret) shows nothing to read
    if (cs.overflow === 'hidden' && Math.abs(parseFloat(cs.textIndent)) >= el.clientWidth) continue // text moved out of its box: a dot
    fg = { ...fg, a: fg.a * opacity(el) * (svgText && cs.fillOpacity ? parseFloat(cs.fillOpacity) : 1) }
    const size = parseFloat(cs.fontSize)
    const bold = parseInt(cs.fontWeight, 10) >= 700
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5
    checked++
    let worst = Infinity; let wb = null; let wf = null
    for (const bg of backgrounds(el)) {
      const f = over(fg, bg)
      const r = ratio(f, bg)
      if (r < worst) { worst = r; wb = bg; wf = f }
    }
    if (worst < need - 0.005) fails.push({ el: describe(el), text: text.slice(0, 40), ratio: Math.round(worst * 100) / 100, need, fg: hex(wf), bg: hex(wb) })
  }
  return { checked, fails }
})()
