// npm run build: web/ → static/ (committed, embedded by Go). Deterministic, so a
// rebuild of unchanged sources leaves static/ byte-identical.
import * as esbuild from 'esbuild'
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'

await esbuild.build({
  entryPoints: ['web/app.js'],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  legalComments: 'none',
  outfile: 'static/app.js'
})
copyFileSync('web/app.css', 'static/app.css')
copyFileSync('web/favicon.svg', 'static/favicon.svg')
// the bundled fonts (built by web/fonts/build.py) and their licences
mkdirSync('static/fonts', { recursive: true })
for (const f of readdirSync('web/fonts')) {
  if (f.endsWith('.woff2') || f.startsWith('OFL')) copyFileSync('web/fonts/' + f, 'static/fonts/' + f)
}
writeFileSync('static/beep.wav', chime())

// chime is a short two-note notification sound: 8 kHz, 8-bit mono PCM WAV (~2 KB).
function chime () {
  const rate = 8000
  const notes = [[880, 0.09], [1320, 0.14]]
  const samples = []
  for (const [freq, dur] of notes) {
    const n = Math.round(rate * dur)
    for (let i = 0; i < n; i++) {
      const t = i / rate
      const env = Math.min(1, i / 40) * Math.exp(-4 * t / dur) // soft attack, decay
      samples.push(Math.round(128 + 90 * env * Math.sin(2 * Math.PI * freq * t)))
    }
  }
  const data = Buffer.from(samples)
  const h = Buffer.alloc(44)
  h.write('RIFF', 0); h.writeUInt32LE(36 + data.length, 4); h.write('WAVE', 8)
  h.write('fmt ', 12); h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(1, 22)
  h.writeUInt32LE(rate, 24); h.writeUInt32LE(rate, 28); h.writeUInt16LE(1, 32); h.writeUInt16LE(8, 34)
  h.write('data', 36); h.writeUInt32LE(data.length, 40)
  return Buffer.concat([h, data])
}
